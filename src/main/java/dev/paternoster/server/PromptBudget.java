package dev.paternoster.server;

import dev.paternoster.engine.InvalidRequestException;
import dev.paternoster.engine.SamplingParams;

/**
 * Fits a request into the context: resolves the default {@code max_tokens}, refuses prompts and
 * budgets that do not fit with OpenAI's {@code context_length_exceeded} wording, and runs the
 * engine's parameter checks so every range error is a 400 naming its parameter.
 */
final class PromptBudget {
  private PromptBudget() {}

  /**
   * @param defaultMaxTokens used when the client gave none (clipped to what the context has left);
   *     0 means "all the context has left"
   * @param promptParam {@code prompt} or {@code messages}, for the error's {@code param}
   */
  static SamplingParams resolve(GenerationOptions o, int promptTokens, ServedModel m, int defaultMaxTokens, String promptParam) {
    int maxLen = m.maxModelLen();
    if (promptTokens >= maxLen) {
      throw ApiException.badRequest(promptParam, "This model's maximum context length is " + maxLen
          + " tokens. However, your prompt has " + promptTokens + " tokens"
          + (promptTokens == maxLen ? ", which leaves no room to generate." : ". Please shorten it."), "context_length_exceeded");
    }
    int left = maxLen - promptTokens;
    int maxTokens;
    if (o.requestedMaxTokens() == null) {
      maxTokens = defaultMaxTokens <= 0 ? left : Math.min(defaultMaxTokens, left);
    } else {
      maxTokens = o.requestedMaxTokens();
      if ((long) maxTokens + promptTokens > maxLen) {
        throw ApiException.badRequest("max_tokens", "This model's maximum context length is " + maxLen
            + " tokens. However, you requested " + ((long) maxTokens + promptTokens) + " tokens (" + promptTokens
            + " in the prompt, " + maxTokens + " for the completion). Please reduce the prompt or max_tokens.",
            "context_length_exceeded");
      }
    }
    SamplingParams p = o.sampling().withMaxTokens(maxTokens);
    try {
      p.validate(m.tokenizer().vocabSize());
    } catch (InvalidRequestException e) {
      throw ApiException.badRequest(e.parameter(), e.getMessage());
    }
    return p;
  }

  /** A {@code model} field that names another model is a 400 (there is one model per server). */
  static void checkModel(String requested, ServedModel m) {
    if (requested != null && !requested.equals(m.name())) {
      throw ApiException.badRequest("model", "The model '" + requested + "' does not exist. This server serves '" + m.name() + "'.", "model_not_found");
    }
  }

  static void checkTokenIds(int[] ids, int vocabSize, String param) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocabSize) {
        throw ApiException.badRequest(param, "'" + param + "' has token id " + ids[i] + " at position " + i + " is outside the vocabulary [0, " + vocabSize + ")");
      }
    }
  }
}
