package dev.paternoster.bench;

/**
 * One request of a workload.
 *
 * @param index position in the workload, from 0
 * @param arrivalSeconds when an open-loop client sends it, from the start; NaN in closed loop
 * @param promptIds the prompt, exactly as sent (random ordinary tokens)
 * @param outputTokens tokens to generate; sent as max_tokens with ignore_eos so the count is exact
 */
public record RequestSpec(int index, double arrivalSeconds, int[] promptIds, int outputTokens) {
  public int promptTokens() {
    return promptIds.length;
  }
}
