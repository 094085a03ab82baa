package dev.paternoster.engine;

import dev.paternoster.model.Model;
import dev.paternoster.tokenizer.Tokenizer;
import java.time.Duration;

/**
 * Paternoster's continuous-batching engine: one thread that repeatedly schedules a batch (decode
 * tokens of running sequences first, then prompt chunks), runs one {@link Model#forward} for it,
 * samples, and streams tokens out.
 *
 * <pre>{@code
 * try (Engine engine = Engine.start(model, EngineConfig.defaults())) {
 *   int[] prompt = model.tokenizer().encode("Once upon a time", true, false);
 *   RequestHandle h = engine.submit(
 *       GenerationRequest.of(prompt, SamplingParams.greedy(32)),
 *       e -> System.out.print(e.textDelta()));
 *   GenerationResult r = h.result().join();
 * }
 * }</pre>
 *
 * <p>All public methods are thread-safe. {@link #submit} never waits for the model.
 */
public final class Engine implements AutoCloseable {

  private Engine() {}

  /**
   * Allocates the KV cache (logging its capacity in tokens) and starts the engine thread.
   *
   * @throws IllegalArgumentException if the configuration does not fit the model (e.g. fewer KV
   *     pages than one sequence needs)
   */
  public static Engine start(Model model, EngineConfig config) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /**
   * Queues a request; tokens go to {@code listener} as they are generated (on the engine thread).
   *
   * @throws InvalidRequestException empty prompt, token ids outside the vocabulary, prompt +
   *     max_tokens beyond the context, a duplicate live request id, or bad sampling parameters
   * @throws QueueFullException the waiting queue is at {@link EngineConfig#maxQueuedRequests()}
   * @throws EngineClosedException after {@link #shutdown} began
   */
  public RequestHandle submit(GenerationRequest request, TokenListener listener) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** Registers an observer of steps and finished requests. */
  public void addObserver(EngineObserver observer) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public void removeObserver(EngineObserver observer) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** Current gauges and counters; cheap, callable from any thread. */
  public EngineSnapshot snapshot() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** Tokens the KV cache can hold ({@code pages * pageSize}). */
  public int capacityTokens() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** Longest prompt + max_tokens accepted. */
  public int maxModelLen() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public EngineConfig config() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** The model's tokenizer (for servers that tokenize prompts and count tokens). */
  public Tokenizer tokenizer() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /**
   * Stops accepting requests, lets accepted ones (running and queued) go on for up to {@code
   * grace}, then aborts the rest, waits for the engine thread to exit and frees the KV cache. The
   * model itself is not closed (the caller owns it). Idempotent.
   */
  public void shutdown(Duration grace) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** {@code shutdown(Duration.ZERO)}: aborts whatever is still running. */
  @Override
  public void close() {
    shutdown(Duration.ZERO);
  }
}
