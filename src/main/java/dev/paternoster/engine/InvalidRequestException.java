package dev.paternoster.engine;

/**
 * A request the engine refuses before queueing it: bad sampling parameters, an empty prompt, a
 * prompt that does not fit the context. Servers answer it with HTTP 400.
 *
 * <p>The message names the offending parameter with its OpenAI/vLLM name, e.g. {@code "top_p must
 * be in (0, 1], got 1.5"}; {@link #parameter()} gives that name alone (for OpenAI's error {@code
 * param} field).
 */
public class InvalidRequestException extends IllegalArgumentException {
  private final String parameter;

  public InvalidRequestException(String parameter, String message) {
    super(message);
    this.parameter = parameter;
  }

  /** The OpenAI/vLLM name of the rejected parameter ({@code "top_p"}, {@code "prompt"}, ...), or null. */
  public String parameter() {
    return parameter;
  }
}
