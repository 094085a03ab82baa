package dev.paternoster.engine;

import java.util.List;

/**
 * The outcome of a request.
 *
 * @param requestId the request id
 * @param promptTokens prompt length in tokens
 * @param choices one per {@code n}, by index
 * @param completionTokens generated tokens over all choices
 * @param timings latency figures
 */
public record GenerationResult(
    String requestId,
    int promptTokens,
    List<Choice> choices,
    int completionTokens,
    RequestTimings timings) {

  public GenerationResult {
    choices = List.copyOf(choices);
  }

  /** The first choice (the only one when {@code n == 1}). */
  public Choice choice() {
    return choices.getFirst();
  }
}
