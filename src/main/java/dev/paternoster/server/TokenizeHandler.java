package dev.paternoster.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.util.List;

/** vLLM's {@code POST /tokenize} and {@code POST /detokenize}. */
final class TokenizeHandler {
  private final OpenAiServer server;

  TokenizeHandler(OpenAiServer server) {
    this.server = server;
  }

  /**
   * {@code {"prompt": "...", "add_special_tokens": true}} or {@code {"messages": [...],
   * "add_generation_prompt": true}} → {@code {"count", "max_model_len", "tokens", "token_strs"}}.
   */
  void tokenize(Context ctx) {
    ServedModel m = server.requireModel();
    RequestFields f = RequestBody.read(ctx, server.options().maxBodySize());
    PromptBudget.checkModel(f.string("model"), m);
    Boolean addSpecial = f.bool("add_special_tokens");
    Boolean returnStrs = f.bool("return_token_strs");
    int[] ids;
    if (f.has("messages")) {
      List<ChatMessage> messages = ChatMessage.parseAll(f.raw("messages"));
      Boolean agp = f.bool("add_generation_prompt");
      String rendered = m.chatTemplate().render(messages, agp == null || agp);
      ids = addSpecial != null ? m.tokenizer().encode(rendered, addSpecial, true) : ChatHandler.encode(m, rendered);
    } else {
      String prompt = f.string("prompt");
      if (prompt == null) throw ApiException.badRequest("prompt", "'prompt' or 'messages' is required");
      Text.requireWellFormed("prompt", prompt);
      ids = m.tokenizer().encode(prompt, addSpecial == null || addSpecial, true);
    }
    RequestBody.warnUnknown(f, "/tokenize");
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("count", ids.length);
    out.put("max_model_len", m.maxModelLen());
    ArrayNode tokens = out.putArray("tokens");
    for (int id : ids) tokens.add(id);
    if (returnStrs != null && returnStrs) {
      ArrayNode strs = out.putArray("token_strs");
      for (int id : ids) strs.add(m.tokenizer().tokenText(id));
    } else {
      out.putNull("token_strs");
    }
    Responses.json(ctx, 200, out);
  }

  /** {@code {"tokens": [ids]}} → {@code {"prompt": "text"}}. */
  void detokenize(Context ctx) {
    ServedModel m = server.requireModel();
    RequestFields f = RequestBody.read(ctx, server.options().maxBodySize());
    PromptBudget.checkModel(f.string("model"), m);
    JsonNode tokens = f.raw("tokens");
    if (tokens == null) throw ApiException.badRequest("tokens", "'tokens' is required");
    if (!tokens.isArray()) throw RequestFields.wrongType("tokens", "an array of token ids", tokens);
    int[] ids = new int[tokens.size()];
    for (int i = 0; i < ids.length; i++) ids[i] = RequestFields.asInt("tokens", tokens.get(i));
    PromptBudget.checkTokenIds(ids, m.tokenizer().vocabSize(), "tokens");
    RequestBody.warnUnknown(f, "/detokenize");
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("prompt", m.tokenizer().decode(ids));
    Responses.json(ctx, 200, out);
  }
}
