package dev.paternoster.engine;

import java.util.List;

/**
 * One streamed step of one choice.
 *
 * <p>Every generated token produces one event, in order, per choice. The last event of a choice has
 * a non-null {@link #finishReason}; when the choice ends without a new token (abort, error) that
 * last event has {@code tokenId == -1}. Concatenating the {@link #textDelta}s of a choice gives
 * exactly {@link Choice#text()}.
 *
 * <p>Text is held back while it could be the start of a {@code stop} string, so a stop string never
 * leaks, even when it is split across tokens; bytes of an incomplete UTF-8 character are held back
 * too. The token that ends a choice by {@code stop_token_ids} or end-of-generation adds no text.
 *
 * <p>Log-probabilities are those of the <em>raw</em> model logits (log-softmax before logit bias,
 * penalties, temperature and top-k/p), as OpenAI and llama.cpp report them: they describe the
 * model, not the sampling settings.
 *
 * @param choiceIndex which of the request's {@code n} choices
 * @param tokenId the generated token, or -1 for a final event without a token
 * @param textDelta new text, possibly empty (held back or incomplete character), never null
 * @param logprob log-probability of {@code tokenId}; {@code NaN} when logprobs were not requested
 *     or there is no token
 * @param topLogprobs the top {@code logprobs} alternatives, best first; null when not requested
 * @param finishReason null except on the choice's last event
 * @param stopReason on a {@link FinishReason#STOP} event: the matched stop string, or the stop
 *     token id in decimal for {@code stop_token_ids}; null for end-of-generation and otherwise
 */
public record TokenEvent(
    int choiceIndex,
    int tokenId,
    String textDelta,
    float logprob,
    List<TokenLogprob> topLogprobs,
    FinishReason finishReason,
    String stopReason) {

  /** True on the last event of a choice. */
  public boolean isFinal() {
    return finishReason != null;
  }
}
