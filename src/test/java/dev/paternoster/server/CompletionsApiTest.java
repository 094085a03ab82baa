package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAI API end to end against the real stories260K model. */
class CompletionsApiTest {
  static ServerFixture fx;

  @BeforeAll
  static void up() {
    fx = ServerFixture.start();
  }

  @AfterAll
  static void down() {
    if (fx != null) fx.close();
  }

  static JsonNode ok(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return ServerFixture.json(r);
  }

  static String greedy(String prompt, int maxTokens) throws Exception {
    return ok(fx.post("/v1/completions", "{\"prompt\":" + Json.MAPPER.writeValueAsString(prompt)
        + ",\"max_tokens\":" + maxTokens + ",\"temperature\":0}")).get("choices").get(0).get("text").asText();
  }

  @Test
  void greedyCompletionTellsAStory() throws Exception {
    JsonNode j = ok(fx.post("/v1/completions",
        "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":24,\"temperature\":0}"));
    assertThat(j.get("id").asText()).startsWith("cmpl-");
    assertThat(j.get("object").asText()).isEqualTo("text_completion");
    assertThat(j.get("model").asText()).isEqualTo("stories260K");
    assertThat(j.get("created").asLong()).isPositive();
    JsonNode c = j.get("choices").get(0);
    assertThat(c.get("index").asInt()).isZero();
    assertThat(c.get("text").asText()).contains("there was");
    assertThat(c.get("finish_reason").asText()).isEqualTo("length");
    assertThat(c.get("logprobs").isNull()).isTrue();
    JsonNode u = j.get("usage");
    assertThat(u.get("completion_tokens").asInt()).isEqualTo(24);
    assertThat(u.get("total_tokens").asInt()).isEqualTo(u.get("prompt_tokens").asInt() + 24);
  }

  @Test
  void promptAsTokenIdsOrAsAnArrayOfOneStringGivesTheSameText() throws Exception {
    String text = greedy("Once upon a time", 12);
    JsonNode tok = ok(fx.post("/tokenize", "{\"prompt\":\"Once upon a time\"}"));
    assertThat(tok.get("count").asInt()).isEqualTo(tok.get("tokens").size());
    assertThat(tok.get("tokens").get(0).asInt()).isEqualTo(1); // BOS
    JsonNode byIds = ok(fx.post("/v1/completions", "{\"prompt\":" + tok.get("tokens") + ",\"max_tokens\":12,\"temperature\":0}"));
    assertThat(byIds.get("choices").get(0).get("text").asText()).isEqualTo(text);
    JsonNode byList = ok(fx.post("/v1/completions", "{\"prompt\":[\"Once upon a time\"],\"max_tokens\":12,\"temperature\":0}"));
    assertThat(byList.get("choices").get(0).get("text").asText()).isEqualTo(text);
    JsonNode detok = ok(fx.post("/detokenize", "{\"tokens\":" + tok.get("tokens") + "}"));
    // SentencePiece's dummy-prefix space comes back from the tokenizer's decode; the words round-trip.
    assertThat(detok.get("prompt").asText().strip()).isEqualTo("Once upon a time");
  }

  @Test
  void streamingCompletionMatchesTheWholeAnswerAndEndsWithUsageAndDone() throws Exception {
    String text = greedy("The little dog", 20);
    HttpResponse<String> r = fx.post("/v1/completions",
        "{\"prompt\":\"The little dog\",\"max_tokens\":20,\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
    List<String> data = Sse.data(r.body());
    assertThat(data.getLast()).isEqualTo("[DONE]");
    List<JsonNode> chunks = Sse.chunks(r.body());
    StringBuilder streamed = new StringBuilder();
    String finish = null;
    for (JsonNode c : chunks.subList(0, chunks.size() - 1)) {
      assertThat(c.get("object").asText()).isEqualTo("text_completion");
      assertThat(c.get("usage").isNull()).isTrue();
      JsonNode ch = c.get("choices").get(0);
      streamed.append(ch.get("text").asText());
      if (!ch.get("finish_reason").isNull()) finish = ch.get("finish_reason").asText();
    }
    assertThat(streamed.toString()).isEqualTo(text);
    assertThat(finish).isEqualTo("length");
    JsonNode usage = chunks.getLast();
    assertThat(usage.get("choices")).isEmpty();
    assertThat(usage.get("usage").get("completion_tokens").asInt()).isEqualTo(20);
  }

  @Test
  void chatAnswersAndStreamsTheSameText() throws Exception {
    String body = "{\"model\":\"stories260K\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Tell me a story\"}]}],\"max_tokens\":16,\"temperature\":0";
    JsonNode j = ok(fx.post("/v1/chat/completions", body + "}"));
    assertThat(j.get("id").asText()).startsWith("chatcmpl-");
    assertThat(j.get("object").asText()).isEqualTo("chat.completion");
    JsonNode msg = j.get("choices").get(0).get("message");
    assertThat(msg.get("role").asText()).isEqualTo("assistant");
    String text = msg.get("content").asText();

    HttpResponse<String> r = fx.post("/v1/chat/completions", body + ",\"stream\":true}");
    List<JsonNode> chunks = Sse.chunks(r.body());
    assertThat(chunks.getFirst().get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
    StringBuilder streamed = new StringBuilder();
    for (JsonNode c : chunks) {
      assertThat(c.get("object").asText()).isEqualTo("chat.completion.chunk");
      JsonNode content = c.get("choices").get(0).get("delta").get("content");
      if (content != null) streamed.append(content.asText());
    }
    assertThat(streamed.toString()).isEqualTo(text);
    assertThat(chunks.getLast().get("choices").get(0).get("finish_reason").asText()).isIn("length", "stop");
  }

  @Test
  void completionLogprobsHaveOpenAisLegacyShape() throws Exception {
    JsonNode j = ok(fx.post("/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":6,\"temperature\":0,\"logprobs\":2}"));
    JsonNode lp = j.get("choices").get(0).get("logprobs");
    assertThat(lp.get("tokens")).hasSize(6);
    assertThat(lp.get("token_logprobs")).hasSize(6);
    assertThat(lp.get("text_offset")).hasSize(6);
    assertThat(lp.get("top_logprobs")).hasSize(6);
    StringBuilder joined = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      assertThat(lp.get("token_logprobs").get(i).asDouble()).isLessThanOrEqualTo(0);
      assertThat(lp.get("top_logprobs").get(i).size()).isBetween(2, 3);
      assertThat(lp.get("text_offset").get(i).asInt()).isEqualTo(joined.length());
      joined.append(lp.get("tokens").get(i).asText());
    }
    assertThat(joined.toString()).isEqualTo(j.get("choices").get(0).get("text").asText());
  }

  @Test
  void chatLogprobsListTokensBytesAndAlternatives() throws Exception {
    JsonNode j = ok(fx.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
        + "\"max_tokens\":4,\"temperature\":0,\"logprobs\":true,\"top_logprobs\":3}"));
    JsonNode content = j.get("choices").get(0).get("logprobs").get("content");
    assertThat(content).hasSize(j.get("usage").get("completion_tokens").asInt());
    for (JsonNode t : content) {
      assertThat(t.get("token").isTextual()).isTrue();
      assertThat(t.get("bytes").isArray()).isTrue();
      assertThat(t.get("top_logprobs")).hasSize(3);
      // Greedy: the chosen token is the most likely one.
      assertThat(t.get("logprob").asDouble()).isEqualTo(t.get("top_logprobs").get(0).get("logprob").asDouble());
    }
  }

  @Test
  void nChoicesWithASeedAreReproducible() throws Exception {
    String req = "{\"prompt\":\"The cat\",\"max_tokens\":10,\"temperature\":1,\"n\":3,\"seed\":7}";
    JsonNode a = ok(fx.post("/v1/completions", req));
    JsonNode b = ok(fx.post("/v1/completions", req));
    assertThat(a.get("choices")).hasSize(3);
    for (int i = 0; i < 3; i++) {
      assertThat(a.get("choices").get(i).get("index").asInt()).isEqualTo(i);
      assertThat(a.get("choices").get(i).get("text").asText()).isEqualTo(b.get("choices").get(i).get("text").asText());
    }
    assertThat(a.get("usage").get("completion_tokens").asInt()).isEqualTo(30);
  }

  @Test
  void stopStringEndsTheTextBeforeIt() throws Exception {
    String text = greedy("Once upon a time", 24);
    String stop = text.substring(text.indexOf(' ', 6) + 1).split(" ")[0]; // a word from inside the answer
    JsonNode j = ok(fx.post("/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":24,\"temperature\":0,\"stop\":["
        + Json.MAPPER.writeValueAsString(stop) + "]}"));
    JsonNode c = j.get("choices").get(0);
    assertThat(c.get("finish_reason").asText()).isEqualTo("stop");
    assertThat(c.get("stop_reason").asText()).isEqualTo(stop);
    assertThat(text).startsWith(c.get("text").asText() + stop);
  }

  @Test
  void vllmExtensionsAndUnknownFieldsAreAccepted() throws Exception {
    JsonNode j = ok(fx.post("/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":30,\"top_k\":5,\"min_p\":0.05,"
        + "\"repetition_penalty\":1.1,\"presence_penalty\":0.5,\"frequency_penalty\":0.2,\"min_tokens\":30,\"ignore_eos\":true,"
        + "\"priority\":3,\"logit_bias\":{\"13\":-100},\"seed\":1,\"some_future_field\":{\"x\":1},\"user\":\"u1\"}"));
    assertThat(j.get("usage").get("completion_tokens").asInt()).isEqualTo(30);
    assertThat(j.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
  }

  @Test
  void modelsHealthAndMetrics() throws Exception {
    JsonNode models = ok(fx.get("/v1/models"));
    assertThat(models.get("object").asText()).isEqualTo("list");
    assertThat(models.get("data").get(0).get("id").asText()).isEqualTo("stories260K");
    assertThat(models.get("data").get(0).get("max_model_len").asInt()).isEqualTo(1024);
    assertThat(fx.get("/health").statusCode()).isEqualTo(200);
    greedy("Hello", 5);
    HttpResponse<String> m = fx.get("/metrics");
    assertThat(m.statusCode()).isEqualTo(200);
    assertThat(m.body()).contains(
        "paternoster:num_requests_running{", "paternoster:num_requests_waiting{", "paternoster:kv_cache_usage_perc{",
        "paternoster:time_to_first_token_seconds_bucket{", "paternoster:inter_token_latency_seconds_bucket{",
        "paternoster:request_queue_time_seconds_bucket{", "paternoster:e2e_request_latency_seconds_bucket{",
        "paternoster:prompt_tokens_total{", "paternoster:generation_tokens_total{", "paternoster:num_preemptions_total{",
        "paternoster:prefix_cache_hits_total{", "paternoster:prefix_cache_queries_total{",
        "paternoster:request_success_total{finished_reason=\"length\",model_name=\"stories260K\"}");
    assertThat(metric(m.body(), "paternoster:generation_tokens_total")).isGreaterThanOrEqualTo(5);
    assertThat(metric(m.body(), "paternoster:engine_steps_total")).isPositive();
  }

  @Test
  void livePageAndItsAssetsAreServed() throws Exception {
    HttpResponse<String> page = fx.get("/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type").orElse("")).startsWith("text/html");
    assertThat(page.body()).contains("/live/app.js", "id=\"lanes\"").doesNotContain("https://");
    assertThat(fx.get("/live/app.js").body()).contains("/v1/engine/steps");
    assertThat(fx.get("/live/style.css").statusCode()).isEqualTo(200);
  }

  static double metric(String scrape, String name) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
    throw new AssertionError("no metric " + name);
  }
}
