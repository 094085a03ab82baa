package dev.paternoster.server;

import dev.paternoster.engine.EngineClosedException;
import dev.paternoster.engine.GenerationRequest;
import dev.paternoster.engine.InvalidRequestException;
import dev.paternoster.engine.QueueFullException;
import dev.paternoster.engine.RequestHandle;
import dev.paternoster.engine.TokenListener;

/** Submits to the engine and maps its refusals onto HTTP statuses. */
final class EngineErrors {
  /** What a client waits before retrying after a 429; the queue drains in well under that on small models. */
  static final int RETRY_AFTER_SECONDS = 1;

  private EngineErrors() {}

  static RequestHandle submit(ServedModel m, GenerationRequest request, TokenListener listener) {
    try {
      return m.engine().submit(request, listener);
    } catch (InvalidRequestException e) {
      throw ApiException.badRequest(e.parameter(), e.getMessage());
    } catch (QueueFullException e) {
      throw ApiException.overloaded("The server is overloaded: " + e.getMessage(), RETRY_AFTER_SECONDS);
    } catch (EngineClosedException e) {
      throw ApiException.unavailable("The server is shutting down and takes no new requests.");
    }
  }
}
