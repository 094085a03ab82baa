package dev.paternoster.gguf;

/** A GGUF file that cannot be read: truncated, corrupt or unsupported. The message names the problem. */
public final class GGUFException extends RuntimeException {
  public GGUFException(String message) {
    super(message);
  }

  public GGUFException(String message, Throwable cause) {
    super(message, cause);
  }
}
