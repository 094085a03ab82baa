package dev.paternoster.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;

/** Writes JSON bodies (Jackson, never hand-built strings). */
final class Responses {
  private Responses() {}

  static void json(Context ctx, int status, JsonNode body) {
    ctx.status(status);
    ctx.contentType("application/json");
    ctx.result(Json.bytes(body));
  }

  /**
   * Writes and flushes the body before returning, instead of leaving it to Javalin after the
   * handler: a graceful shutdown waits for in-flight generations and then stops Jetty, so their
   * answers must already be on the wire when they stop counting as in flight.
   */
  static void jsonNow(Context ctx, int status, JsonNode body) throws java.io.IOException {
    byte[] bytes = Json.bytes(body);
    var res = ctx.res();
    res.setStatus(status);
    res.setContentType("application/json");
    res.setContentLength(bytes.length);
    var out = res.getOutputStream();
    out.write(bytes);
    out.flush();
  }

  static void error(Context ctx, ApiException e) {
    if (e.retryAfterSeconds() != null) ctx.header("Retry-After", String.valueOf(e.retryAfterSeconds()));
    json(ctx, e.status(), ErrorResponse.of(e));
  }
}
