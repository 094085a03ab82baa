package dev.paternoster.server;

/**
 * A parsed {@code POST /v1/completions} body.
 *
 * @param prompt text or token ids
 * @param logprobs OpenAI's integer {@code logprobs}: how many alternatives per token (null = none)
 */
public record CompletionRequest(PromptInput prompt, Integer logprobs, GenerationOptions options) {

  public static CompletionRequest parse(RequestFields f) {
    PromptInput prompt = PromptInput.parse(f.raw("prompt"));
    Integer logprobs = f.integer("logprobs");
    Boolean echo = f.bool("echo");
    if (echo != null && echo) throw ApiException.badRequest("echo", "'echo' is not supported");
    if (f.string("suffix") != null) throw ApiException.badRequest("suffix", "'suffix' is not supported");
    Integer bestOf = f.integer("best_of");
    GenerationOptions options = OpenAiRequest.parseCommon(f, false, logprobs);
    if (bestOf != null && bestOf != options.sampling().n()) {
      throw ApiException.badRequest("best_of", "'best_of' other than n is not supported");
    }
    return new CompletionRequest(prompt, logprobs, options);
  }
}
