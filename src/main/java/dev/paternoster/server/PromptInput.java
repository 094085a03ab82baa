package dev.paternoster.server;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A completion prompt: text to tokenize, or token ids to use as they are.
 *
 * <p>OpenAI's {@code prompt} may be a string, an array of token ids, an array of strings or an array
 * of token-id arrays (the last two are batches). Paternoster takes one prompt per request; a batch
 * of one is unwrapped, a larger batch is refused with a pointer to {@code n} and concurrency.
 */
public sealed interface PromptInput {
  record Text(String text) implements PromptInput {}

  record Tokens(int[] ids) implements PromptInput {}

  static PromptInput parse(JsonNode p) {
    if (p == null) throw ApiException.badRequest("prompt", "'prompt' is required");
    if (p.isTextual()) return text(p.textValue());
    if (!p.isArray()) throw RequestFields.wrongType("prompt", "a string or an array of token ids", p);
    if (p.isEmpty()) throw ApiException.badRequest("prompt", "'prompt' must not be empty");
    JsonNode first = p.get(0);
    if (first.isTextual() || first.isArray()) {
      if (p.size() > 1) {
        throw ApiException.badRequest("prompt", "Batched prompts are not supported: send one prompt per request "
            + "(concurrent requests are batched by the engine anyway), or use 'n' for several completions of one prompt");
      }
      return first.isTextual() ? text(first.textValue()) : tokens(first);
    }
    return tokens(p);
  }

  private static PromptInput text(String s) {
    if (s.isEmpty()) throw ApiException.badRequest("prompt", "'prompt' must not be empty");
    dev.paternoster.server.Text.requireWellFormed("prompt", s);
    return new Text(s);
  }

  private static PromptInput tokens(JsonNode arr) {
    if (arr.isEmpty()) throw ApiException.badRequest("prompt", "'prompt' must not be empty");
    int[] ids = new int[arr.size()];
    for (int i = 0; i < ids.length; i++) {
      JsonNode e = arr.get(i);
      if (!e.isNumber()) {
        throw ApiException.badRequest("prompt", "'prompt' as an array must hold only token ids (integers), found " + RequestFields.typeName(e));
      }
      ids[i] = RequestFields.asInt("prompt", e);
    }
    return new Tokens(ids);
  }
}
