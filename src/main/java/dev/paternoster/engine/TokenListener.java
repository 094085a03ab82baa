package dev.paternoster.engine;

/**
 * Receives a request's tokens as they are generated (streaming).
 *
 * <p>Called on the engine thread, between steps: keep it short and never block (hand the event to
 * your own executor or a non-blocking write). If it throws, the request is aborted, the way a
 * vanished client ends a stream.
 */
@FunctionalInterface
public interface TokenListener {
  void onToken(TokenEvent event);

  /** A listener that ignores everything (non-streaming requests read {@link RequestHandle#result()}). */
  TokenListener NONE = e -> {};
}
