package dev.paternoster.engine;

/**
 * One sequence's share of a step.
 *
 * @param requestId its request
 * @param choiceIndex which choice (n > 1)
 * @param kind a prompt chunk or one decode token
 * @param tokens tokens this sequence contributed to the step
 * @param computedTokens tokens of the sequence in the KV cache after the step
 * @param promptTokens prompt length; {@code computedTokens / promptTokens} is the prefill progress
 */
public record StepEntry(
    String requestId, int choiceIndex, Kind kind, int tokens, int computedTokens, int promptTokens) {

  public enum Kind {
    /** A chunk of prompt (or, after preemption, of prompt plus earlier output being recomputed). */
    PREFILL,
    /** The single newest token of a sequence whose prompt is done. */
    DECODE
  }
}
