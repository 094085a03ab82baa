package dev.paternoster.engine;

/**
 * The waiting queue holds {@link EngineConfig#maxQueuedRequests()} requests already: the engine is
 * overloaded. Servers answer it with HTTP 429 (or 503) so that clients back off, instead of letting
 * the queue and everyone's latency grow without bound.
 */
public class QueueFullException extends RuntimeException {
  public QueueFullException(String message) {
    super(message);
  }
}
