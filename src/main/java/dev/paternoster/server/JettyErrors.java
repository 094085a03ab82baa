package dev.paternoster.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors that Jetty answers itself, before any route runs (an unparsable request line, a failure
 * while stopping), in OpenAI's JSON shape instead of Jetty's HTML page, and never with a stack trace.
 */
final class JettyErrors extends ErrorHandler {
  JettyErrors() {
    setShowStacks(false);
    setShowMessageInTitle(false);
  }

  @Override
  protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback)
      throws IOException {
    String text = message == null || message.isBlank() || message.contains("Exception") ? reason(code) : message;
    String type = code >= 500 ? "server_error" : "invalid_request_error";
    byte[] body = Json.bytes(ErrorResponse.of(text, type, null, null));
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  private static String reason(int code) {
    return switch (code) {
      case 400 -> "Bad request";
      case 404 -> "Not found";
      case 413 -> "Request too large";
      case 431 -> "Request headers too large";
      case 503 -> "The server is stopping";
      default -> "HTTP error " + code;
    };
  }
}
