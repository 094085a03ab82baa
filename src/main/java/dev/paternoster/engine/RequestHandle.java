package dev.paternoster.engine;

import java.util.concurrent.CompletableFuture;

/** A submitted request: its outcome, and a way to cancel it. */
public interface RequestHandle {
  /** The request id. */
  String id();

  /**
   * Completes (normally, never exceptionally) once every choice has finished, after the last
   * {@link TokenEvent}; aborted and failed requests complete with {@link FinishReason#ABORT} or
   * {@link FinishReason#ERROR} choices holding what was generated so far.
   */
  CompletableFuture<GenerationResult> result();

  /**
   * Stops the request: queued, prefilling or decoding. Thread-safe and idempotent; a no-op once
   * finished. Its KV pages are freed before the engine's next step.
   */
  void abort();
}
