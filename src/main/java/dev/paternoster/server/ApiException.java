package dev.paternoster.server;

/**
 * A request that ends in an OpenAI-shaped error response. Thrown anywhere below a route handler;
 * {@link OpenAiServer} turns it into {@code {"error":{...}}} with {@link #status()}.
 *
 * <p>Messages are written for the API user: they name the parameter and what was wrong, never a
 * Java class or stack trace.
 */
public final class ApiException extends RuntimeException {
  private final int status;
  private final String type;
  private final String param;
  private final String code;
  private final Integer retryAfterSeconds;

  public ApiException(int status, String type, String message, String param, String code, Integer retryAfterSeconds) {
    super(message, null, false, false); // no stack trace: these are expected outcomes, not bugs
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** 400: a malformed body, a wrong type, or a value out of range. */
  public static ApiException badRequest(String param, String message) {
    return new ApiException(400, "invalid_request_error", message, param, null, null);
  }

  /** 400 with a machine-readable code (e.g. {@code model_not_found}, {@code context_length_exceeded}). */
  public static ApiException badRequest(String param, String message, String code) {
    return new ApiException(400, "invalid_request_error", message, param, code, null);
  }

  public static ApiException unauthorized() {
    return new ApiException(401, "authentication_error",
        "Invalid or missing API key. Send it as 'Authorization: Bearer <key>'.", null, "invalid_api_key", null);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, "not_found_error", message, null, null, null);
  }

  public static ApiException bodyTooLarge(long limit) {
    return new ApiException(413, "invalid_request_error",
        "Request body is larger than the server's limit of " + limit + " bytes (--max-body-size).",
        null, "request_too_large", null);
  }

  /** 429: the engine's waiting queue is full; clients should retry after a pause. */
  public static ApiException overloaded(String message, int retryAfterSeconds) {
    return new ApiException(429, "rate_limit_error", message, null, "queue_full", retryAfterSeconds);
  }

  /** 503: loading or shutting down. */
  public static ApiException unavailable(String message) {
    return new ApiException(503, "service_unavailable", message, null, "service_unavailable", 1);
  }

  /** 500: the engine failed while generating. */
  public static ApiException internal(String message) {
    return new ApiException(500, "server_error", message, null, "internal_error", null);
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public String param() {
    return param;
  }

  public String code() {
    return code;
  }

  /** Seconds for the {@code Retry-After} header, or null for none. */
  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
