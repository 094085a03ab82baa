package dev.paternoster.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a JSON request body within {@code --max-body-size} and reports fields the server ignores. */
final class RequestBody {
  private static final Logger LOG = LoggerFactory.getLogger(RequestBody.class);

  private RequestBody() {}

  static RequestFields read(Context ctx, long maxBytes) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBytes) throw ApiException.bodyTooLarge(maxBytes); // refuse before reading a byte
    byte[] body;
    try (InputStream in = ctx.req().getInputStream()) {
      body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
    } catch (IOException e) {
      throw ApiException.badRequest(null, "Request body could not be read: " + e.getMessage());
    }
    if (body.length > maxBytes) throw ApiException.bodyTooLarge(maxBytes);
    return RequestFields.parse(body);
  }

  /**
   * vLLM's rule: unknown fields are ignored, with a warning, so that clients built for newer API
   * versions keep working; the log tells an operator what was dropped.
   */
  static void warnUnknown(RequestFields f, String endpoint) {
    var unknown = f.unknownFields();
    if (!unknown.isEmpty()) LOG.warn("{}: ignoring unknown fields {}", endpoint, unknown);
  }
}
