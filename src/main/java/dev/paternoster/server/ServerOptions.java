package dev.paternoster.server;

/**
 * HTTP-level settings of {@link OpenAiServer}.
 *
 * @param host address to bind (127.0.0.1 keeps the server private to this machine)
 * @param port TCP port; 0 picks a free one
 * @param apiKey when non-null, {@code /v1/*}, {@code /tokenize} and {@code /detokenize} require
 *     {@code Authorization: Bearer <apiKey>}
 * @param maxBodySize largest request body in bytes (413 beyond)
 */
public record ServerOptions(String host, int port, String apiKey, long maxBodySize) {
  public static final long DEFAULT_MAX_BODY_SIZE = 8L << 20;

  public ServerOptions {
    if (host == null || host.isBlank()) host = "127.0.0.1";
    if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
    if (apiKey != null && apiKey.isEmpty()) apiKey = null;
    if (maxBodySize < 1) throw new IllegalArgumentException("max body size must be positive, got " + maxBodySize);
  }

  /**
   * The warning owed to an operator who binds beyond the loopback interface without an API key
   * (anyone who can reach the port can then use the model), or null when there is nothing to say.
   * A host name that does not resolve counts as exposed.
   */
  public String exposureWarning() {
    if (apiKey != null) return null;
    boolean loopback;
    try {
      loopback = java.net.InetAddress.getByName(host).isLoopbackAddress();
    } catch (java.io.IOException | SecurityException e) {
      loopback = false;
    }
    return loopback ? null : "binding " + host + " without --api-key: anyone who can reach this port can use the model.";
  }

  public static ServerOptions local(int port) {
    return new ServerOptions("127.0.0.1", port, null, DEFAULT_MAX_BODY_SIZE);
  }

  public ServerOptions withApiKey(String key) {
    return new ServerOptions(host, port, key, maxBodySize);
  }

  public ServerOptions withMaxBodySize(long bytes) {
    return new ServerOptions(host, port, apiKey, bytes);
  }
}
