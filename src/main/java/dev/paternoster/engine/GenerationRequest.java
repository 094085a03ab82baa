package dev.paternoster.engine;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A request for the engine: a tokenized prompt and how to sample from it.
 *
 * <p>The engine records the arrival time itself, at {@link Engine#submit} (see {@link
 * RequestTimings#arrivalNanos()}), so queueing time is measured by one clock.
 *
 * @param requestId unique among the engine's live requests
 * @param promptIds the prompt, already tokenized (with BOS if the model wants it)
 * @param params sampling parameters
 * @param priority used by {@link EngineConfig.Policy#PRIORITY}: lower value = served first, as in
 *     vLLM; ignored under FCFS
 */
public record GenerationRequest(String requestId, int[] promptIds, SamplingParams params, int priority) {

  private static final AtomicLong IDS = new AtomicLong();

  public GenerationRequest {
    if (params == null) params = SamplingParams.defaults();
  }

  /** Priority 0. */
  public GenerationRequest(String requestId, int[] promptIds, SamplingParams params) {
    this(requestId, promptIds, params, 0);
  }

  /** A request with a fresh id ({@code "req-1"}, {@code "req-2"}, ...) and priority 0. */
  public static GenerationRequest of(int[] promptIds, SamplingParams params) {
    return new GenerationRequest("req-" + IDS.incrementAndGet(), promptIds, params, 0);
  }

  public GenerationRequest withPriority(int priority) {
    return new GenerationRequest(requestId, promptIds, params, priority);
  }
}
