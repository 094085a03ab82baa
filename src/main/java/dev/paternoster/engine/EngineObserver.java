package dev.paternoster.engine;

/**
 * Watches the engine (metrics, live views, logs). Called on the engine thread: return quickly.
 * Exceptions are logged and ignored.
 */
public interface EngineObserver {
  /** After every step. */
  default void onStep(StepStats stats) {}

  /** Once per request, when its result is complete (finished, aborted or failed). */
  default void onRequestFinished(GenerationResult result) {}
}
