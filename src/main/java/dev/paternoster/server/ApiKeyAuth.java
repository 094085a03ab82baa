package dev.paternoster.server;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * {@code --api-key}: a bearer token on the API routes. The comparison takes the same time whatever
 * the guess, so the key cannot be found byte by byte from response times.
 */
final class ApiKeyAuth {
  private final byte[] expected;

  ApiKeyAuth(String apiKey) {
    this.expected = apiKey == null ? null : apiKey.getBytes(StandardCharsets.UTF_8);
  }

  boolean enabled() {
    return expected != null;
  }

  /** API routes need the key; the health check, metrics and the live view's static page do not (as vLLM). */
  static boolean isProtected(String path) {
    return path.startsWith("/v1/") || path.equals("/tokenize") || path.equals("/detokenize");
  }

  void check(Context ctx) {
    if (expected == null || !isProtected(ctx.path())) return;
    String header = ctx.header("Authorization");
    String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
    if (!MessageDigest.isEqual(expected, token.getBytes(StandardCharsets.UTF_8))) throw ApiException.unauthorized();
  }
}
