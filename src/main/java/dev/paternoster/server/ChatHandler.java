package dev.paternoster.server;

import dev.paternoster.engine.GenerationRequest;
import dev.paternoster.engine.SamplingParams;
import io.javalin.http.Context;

/** {@code POST /v1/chat/completions}: messages rendered by the model's chat template, then generated. */
final class ChatHandler {
  private final OpenAiServer server;

  ChatHandler(OpenAiServer server) {
    this.server = server;
  }

  void handle(Context ctx) throws Exception {
    ServedModel m = server.requireModel();
    RequestFields f = RequestBody.read(ctx, server.options().maxBodySize());
    ChatRequest req = ChatRequest.parse(f);
    RequestBody.warnUnknown(f, "/v1/chat/completions");
    PromptBudget.checkModel(req.options().model(), m);
    int[] prompt = encode(m, m.chatTemplate().render(req.messages(), req.addGenerationPrompt()));
    // As vLLM: without max_tokens a chat answer may use whatever the context has left.
    SamplingParams params = PromptBudget.resolve(req.options(), prompt.length, m, 0, "messages");
    String id = Ids.next("chatcmpl-");
    GenerationRequest gr = new GenerationRequest(id, prompt, params, req.options().priority());
    boolean stream = req.options().stream();
    var meta = new ResponseFormat.Meta(id, stream ? "chat.completion.chunk" : "chat.completion",
        System.currentTimeMillis() / 1000, m.name(), stream && req.options().includeUsage());
    var format = new ChatFormat(meta, new TokenStrings(m.tokenizer()), req.logprobs());
    server.responder().respond(ctx, m, gr, stream, format);
  }

  /**
   * Tokenizes a rendered chat prompt: special-token text is parsed (templates write {@code
   * <|im_start|>} as text), and BOS is added only if the template did not already print it.
   */
  static int[] encode(ServedModel m, String rendered) {
    String bos = ServedModel.bosText(m.tokenizer());
    boolean templateHasBos = !bos.isEmpty() && rendered.startsWith(bos);
    if (rendered.isEmpty()) throw ApiException.badRequest("messages", "The chat template rendered an empty prompt");
    return m.tokenizer().encode(rendered, !templateHasBos, true);
  }
}
