package dev.paternoster.server;

import dev.paternoster.engine.GenerationRequest;
import dev.paternoster.engine.SamplingParams;
import io.javalin.http.Context;

/** {@code POST /v1/completions}: a prompt (text or token ids) in, text out. */
final class CompletionHandler {
  /** OpenAI's and vLLM's default {@code max_tokens} for completions. */
  static final int DEFAULT_MAX_TOKENS = 16;

  private final OpenAiServer server;

  CompletionHandler(OpenAiServer server) {
    this.server = server;
  }

  void handle(Context ctx) throws Exception {
    ServedModel m = server.requireModel();
    RequestFields f = RequestBody.read(ctx, server.options().maxBodySize());
    CompletionRequest req = CompletionRequest.parse(f);
    RequestBody.warnUnknown(f, "/v1/completions");
    PromptBudget.checkModel(req.options().model(), m);
    int[] prompt = switch (req.prompt()) {
      // Special-token text such as <|im_start|> is parsed, as HuggingFace tokenizers (vLLM) and llama.cpp do.
      case PromptInput.Text t -> m.tokenizer().encode(t.text(), true, true);
      case PromptInput.Tokens t -> t.ids();
    };
    PromptBudget.checkTokenIds(prompt, m.tokenizer().vocabSize(), "prompt");
    SamplingParams params = PromptBudget.resolve(req.options(), prompt.length, m, DEFAULT_MAX_TOKENS, "prompt");
    String id = Ids.next("cmpl-");
    GenerationRequest gr = new GenerationRequest(id, prompt, params, req.options().priority());
    var meta = new ResponseFormat.Meta(id, "text_completion", System.currentTimeMillis() / 1000, m.name(), req.options().includeUsage());
    var format = new CompletionFormat(meta, new TokenStrings(m.tokenizer()), req.logprobs() != null, params.n());
    server.responder().respond(ctx, m, gr, req.options().stream(), format);
  }
}
