package dev.paternoster.engine;

import java.util.List;

/**
 * Log-probabilities for one generated token.
 *
 * @param tokenId the chosen token
 * @param logprob its log-probability under the raw model logits
 * @param top the {@code logprobs} most likely tokens, best first (ties: lower id first); empty when
 *     {@code logprobs == 0}
 */
public record TokenLogprobs(int tokenId, float logprob, List<TokenLogprob> top) {
  public TokenLogprobs {
    top = top == null ? List.of() : List.copyOf(top);
  }
}
