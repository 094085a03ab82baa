package dev.paternoster.engine;

import java.util.List;

/**
 * One of the {@code n} completions of a request.
 *
 * @param index 0..n-1
 * @param text the generated text, stop string excluded
 * @param tokenIds every generated token, including the one that stopped it
 * @param logprobs one entry per token when {@code logprobs} was requested, else null
 * @param finishReason why it ended
 * @param stopReason the matched stop string, the stop token id in decimal ({@code
 *     stop_token_ids}), or for {@link FinishReason#ERROR} the error message; otherwise null
 */
public record Choice(
    int index,
    String text,
    int[] tokenIds,
    List<TokenLogprobs> logprobs,
    FinishReason finishReason,
    String stopReason) {}
