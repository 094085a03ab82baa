package dev.paternoster.engine;

/** The engine is shutting down or stopped and takes no new requests (HTTP 503). */
public class EngineClosedException extends IllegalStateException {
  public EngineClosedException(String message) {
    super(message);
  }
}
