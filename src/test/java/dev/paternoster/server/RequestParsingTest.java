package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paternoster.engine.SamplingParams;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Body parsing and validation without an engine. */
class RequestParsingTest {
  static RequestFields fields(String json) {
    return RequestFields.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  static ApiException fails(Runnable r) {
    try {
      r.run();
    } catch (ApiException e) {
      return e;
    }
    throw new AssertionError("expected an ApiException");
  }

  @Test
  void completionFieldsMapOntoSamplingParams() {
    RequestFields f = fields("""
        {"model":"m","prompt":"hi","max_tokens":7,"temperature":0.5,"top_p":0.9,"top_k":40,"min_p":0.1,
         "repetition_penalty":1.2,"presence_penalty":0.3,"frequency_penalty":-0.4,"n":2,"seed":123,
         "stop":["a","b"],"stop_token_ids":[2],"logit_bias":{"5":-100,"7":2.5},"min_tokens":3,"ignore_eos":true,
         "priority":-1,"logprobs":3,"stream":true,"stream_options":{"include_usage":true},"user":"x","mystery":1}
        """);
    CompletionRequest r = CompletionRequest.parse(f);
    SamplingParams p = r.options().sampling();
    assertThat(r.prompt()).isEqualTo(new PromptInput.Text("hi"));
    assertThat(r.options().model()).isEqualTo("m");
    assertThat(r.options().requestedMaxTokens()).isEqualTo(7);
    assertThat(p.temperature()).isEqualTo(0.5f);
    assertThat(p.topP()).isEqualTo(0.9f);
    assertThat(p.topK()).isEqualTo(40);
    assertThat(p.minP()).isEqualTo(0.1f);
    assertThat(p.repetitionPenalty()).isEqualTo(1.2f);
    assertThat(p.presencePenalty()).isEqualTo(0.3f);
    assertThat(p.frequencyPenalty()).isEqualTo(-0.4f);
    assertThat(p.n()).isEqualTo(2);
    assertThat(p.seed()).isEqualTo(123L);
    assertThat(p.stop()).containsExactly("a", "b");
    assertThat(p.stopTokenIds()).isEqualTo(Set.of(2));
    assertThat(p.logitBias()).isEqualTo(Map.of(5, -100f, 7, 2.5f));
    assertThat(p.minTokens()).isEqualTo(3);
    assertThat(p.ignoreEos()).isTrue();
    assertThat(p.logprobs()).isEqualTo(3);
    assertThat(r.options().priority()).isEqualTo(-1);
    assertThat(r.options().stream()).isTrue();
    assertThat(r.options().includeUsage()).isTrue();
    assertThat(f.unknownFields()).containsExactly("mystery");
  }

  @Test
  void promptShapes() {
    assertThat(PromptInput.parse(fields("{\"p\":[1,2,3]}").raw("p"))).isInstanceOfSatisfying(PromptInput.Tokens.class,
        t -> assertThat(t.ids()).containsExactly(1, 2, 3));
    assertThat(PromptInput.parse(fields("{\"p\":[[4,5]]}").raw("p"))).isInstanceOfSatisfying(PromptInput.Tokens.class,
        t -> assertThat(t.ids()).containsExactly(4, 5));
    assertThat(PromptInput.parse(fields("{\"p\":[\"one\"]}").raw("p"))).isEqualTo(new PromptInput.Text("one"));
    assertThat(fails(() -> PromptInput.parse(fields("{\"p\":[1,\"x\"]}").raw("p"))).param()).isEqualTo("prompt");
    assertThat(fails(() -> PromptInput.parse(fields("{\"p\":{}}").raw("p"))).getMessage()).contains("got object");
  }

  @Test
  void chatFieldsAndMessages() {
    ChatRequest r = ChatRequest.parse(fields("""
        {"messages":[{"role":"developer","content":"rules"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
                     {"role":"assistant","content":null}],
         "max_completion_tokens":9,"max_tokens":3,"logprobs":true,"top_logprobs":4,"add_generation_prompt":false}
        """));
    assertThat(r.messages()).containsExactly(new ChatMessage("system", "rules", null), new ChatMessage("user", "a\nb", null),
        new ChatMessage("assistant", "", null));
    assertThat(r.options().requestedMaxTokens()).isEqualTo(9);
    assertThat(r.options().sampling().logprobs()).isEqualTo(4);
    assertThat(r.addGenerationPrompt()).isFalse();
  }

  @Test
  void typeErrorsNameTheFieldAndBothTypes() {
    assertThat(fails(() -> CompletionRequest.parse(fields("{\"prompt\":\"x\",\"top_p\":\"high\"}"))).getMessage())
        .isEqualTo("'top_p' must be a number, got string");
    assertThat(fails(() -> CompletionRequest.parse(fields("{\"prompt\":\"x\",\"ignore_eos\":1}"))).getMessage())
        .isEqualTo("'ignore_eos' must be a boolean, got integer");
    assertThat(fails(() -> CompletionRequest.parse(fields("{\"prompt\":\"x\",\"seed\":1e40}"))).param()).isEqualTo("seed");
    assertThat(fails(() -> ChatRequest.parse(fields("{\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"name\":3}]}"))).param())
        .isEqualTo("messages[0].name");
  }

  @Test
  void malformedBodies() {
    assertThat(fails(() -> fields("")).getMessage()).contains("empty");
    assertThat(fails(() -> fields("{\"a\":1} trailing")).getMessage()).contains("not valid JSON");
    assertThat(fails(() -> fields("\"just a string\"")).getMessage()).contains("got string");
    assertThat(fails(() -> fields("{\"a\":NaN}")).status()).isEqualTo(400);
    assertThat(fails(() -> fields("[".repeat(200) + "]".repeat(200))).status()).isEqualTo(400);
  }

  @Test
  void integralFloatsCountAsIntegers() {
    assertThat(fields("{\"n\":2.0}").integer("n")).isEqualTo(2);
  }

  @Test
  void errorBodyHasAllFourFields() {
    var body = ErrorResponse.of(ApiException.badRequest("top_p", "top_p must be in (0, 1], got 1.5"));
    assertThat(Json.write(body)).isEqualTo(
        "{\"error\":{\"message\":\"top_p must be in (0, 1], got 1.5\",\"type\":\"invalid_request_error\",\"param\":\"top_p\",\"code\":null}}");
  }

  @Test
  void lonelySurrogatesAreRefused() {
    assertThatThrownBy(() -> Text.requireWellFormed("prompt", "a\uD800")).isInstanceOf(ApiException.class);
    Text.requireWellFormed("prompt", "emoji \uD83D\uDE00 ok");
  }

  @Test
  void modelLocatorOrder(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    var none = ModelLocator.locate(null, Map.of(), List.of(dir));
    assertThat(none).isEmpty();
    java.nio.file.Files.createDirectories(dir.resolve("models/b"));
    java.nio.file.Files.writeString(dir.resolve("models/b/z.gguf"), "x");
    java.nio.file.Files.writeString(dir.resolve("models/a.gguf"), "x");
    assertThat(ModelLocator.locate(null, Map.of(), List.of(dir))).contains(dir.resolve("models/a.gguf"));
    assertThat(ModelLocator.locate(null, Map.of(ModelLocator.ENV, "/m.gguf"), List.of(dir))).contains(java.nio.file.Path.of("/m.gguf"));
    assertThat(ModelLocator.locate(java.nio.file.Path.of("x.gguf"), Map.of(ModelLocator.ENV, "/m.gguf"), List.of(dir)))
        .contains(java.nio.file.Path.of("x.gguf"));
  }
}
