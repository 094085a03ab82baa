package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every refusal in OpenAI's error shape, with the right status and the offending parameter. */
class ErrorsApiTest {
  static ServerFixture fx;

  @BeforeAll
  static void up() {
    fx = ServerFixture.start(ServerFixture.smallEngine().build(), ServerOptions.local(0).withMaxBodySize(16384), 0);
  }

  @AfterAll
  static void down() {
    if (fx != null) fx.close();
  }

  static JsonNode error(HttpResponse<String> r, int status) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/json");
    JsonNode e = ServerFixture.json(r).get("error");
    assertThat(e).as(r.body()).isNotNull();
    for (String k : new String[] {"message", "type", "param", "code"}) assertThat(e.has(k)).as("error.%s in %s", k, r.body()).isTrue();
    assertThat(e.get("message").asText()).doesNotContain("Exception", "\tat ", "java.");
    return e;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "malformed JSON                | /v1/completions      | {\"prompt\": \"x\",              | ",
      "not an object                 | /v1/completions      | [1,2]                            | ",
      "wrong type: max_tokens string | /v1/completions      | {\"prompt\":\"x\",\"max_tokens\":\"5\"}   | max_tokens",
      "wrong type: temperature bool  | /v1/completions      | {\"prompt\":\"x\",\"temperature\":true} | temperature",
      "wrong type: n float           | /v1/completions      | {\"prompt\":\"x\",\"n\":1.5}          | n",
      "wrong type: stream            | /v1/completions      | {\"prompt\":\"x\",\"stream\":\"yes\"}  | stream",
      "wrong type: stop number       | /v1/completions      | {\"prompt\":\"x\",\"stop\":5}         | stop",
      "unknown model                 | /v1/completions      | {\"model\":\"gpt-9\",\"prompt\":\"x\"}  | model",
      "negative max_tokens           | /v1/completions      | {\"prompt\":\"x\",\"max_tokens\":-1}  | max_tokens",
      "absurd max_tokens             | /v1/completions      | {\"prompt\":\"x\",\"max_tokens\":100000000} | max_tokens",
      "max_tokens beyond int         | /v1/completions      | {\"prompt\":\"x\",\"max_tokens\":1e30} | max_tokens",
      "n zero                        | /v1/completions      | {\"prompt\":\"x\",\"n\":0}            | n",
      "n too large                   | /v1/completions      | {\"prompt\":\"x\",\"n\":1000}         | n",
      "negative temperature          | /v1/completions      | {\"prompt\":\"x\",\"temperature\":-0.5} | temperature",
      "temperature above 2           | /v1/completions      | {\"prompt\":\"x\",\"temperature\":7}  | temperature",
      "top_p zero                    | /v1/completions      | {\"prompt\":\"x\",\"top_p\":0}        | top_p",
      "top_p above 1                 | /v1/completions      | {\"prompt\":\"x\",\"top_p\":1.01}     | top_p",
      "empty prompt                  | /v1/completions      | {\"prompt\":\"\"}                    | prompt",
      "missing prompt                | /v1/completions      | {\"max_tokens\":3}                   | prompt",
      "token id outside vocabulary   | /v1/completions      | {\"prompt\":[1,99999]}               | prompt",
      "batched prompts               | /v1/completions      | {\"prompt\":[\"a\",\"b\"]}            | prompt",
      "lone surrogate                | /v1/completions      | {\"prompt\":\"a\\ud800b\"}            | prompt",
      "logprobs above 20             | /v1/completions      | {\"prompt\":\"x\",\"logprobs\":50}    | logprobs",
      "logit_bias bad key            | /v1/completions      | {\"prompt\":\"x\",\"logit_bias\":{\"abc\":1}} | logit_bias",
      "logit_bias out of range       | /v1/completions      | {\"prompt\":\"x\",\"logit_bias\":{\"5\":500}} | logit_bias",
      "stream_options without stream | /v1/completions      | {\"prompt\":\"x\",\"stream_options\":{\"include_usage\":true}} | stream_options",
      "min_tokens above max_tokens   | /v1/completions      | {\"prompt\":\"x\",\"max_tokens\":2,\"min_tokens\":5} | min_tokens",
      "messages missing              | /v1/chat/completions | {\"max_tokens\":3}                   | messages",
      "messages not an array         | /v1/chat/completions | {\"messages\":\"hi\"}                 | messages",
      "message without role          | /v1/chat/completions | {\"messages\":[{\"content\":\"hi\"}]} | messages[0].role",
      "message with unknown role     | /v1/chat/completions | {\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]} | messages[0].role",
      "message content number        | /v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":5}]} | messages[0].content",
      "image content part            | /v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]} | messages[0].content[0].type",
      "top_logprobs without logprobs | /v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"top_logprobs\":2} | top_logprobs",
      "tools                         | /v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[{\"type\":\"function\"}]} | tools",
  })
  void badRequestsAre400WithTheParameterNamed(String name, String path, String body, String param) throws Exception {
    JsonNode e = error(fx.post(path.trim(), body.trim()), 400);
    assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
    if (param != null) assertThat(e.get("param").asText()).isEqualTo(param.trim());
    if (param != null) assertThat(e.get("message").asText()).contains(param.trim().replaceAll("\\[.*", ""));
  }

  @Test
  void wrongTypeMessagesNameTheTypes() throws Exception {
    JsonNode e = error(fx.post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":\"5\"}"), 400);
    assertThat(e.get("message").asText()).isEqualTo("'max_tokens' must be an integer, got string");
  }

  @Test
  void promptLongerThanTheContextIsContextLengthExceeded() throws Exception {
    String longPrompt = "Once upon a time there was a dog. ".repeat(200);
    JsonNode e = error(fx.post("/v1/completions", "{\"prompt\":\"" + longPrompt + "\"}"), 400);
    assertThat(e.get("code").asText()).isEqualTo("context_length_exceeded");
    assertThat(e.get("message").asText()).contains("maximum context length is 1024");
    JsonNode e2 = error(fx.post("/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":1023}"), 400);
    assertThat(e2.get("param").asText()).isEqualTo("max_tokens");
  }

  @Test
  void invalidUtf8BodyIs400() throws Exception {
    byte[] body = {'{', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    HttpResponse<String> r = fx.http.send(HttpRequest.newBuilder(URI.create(fx.url("/v1/completions")))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(error(r, 400).get("message").asText()).contains("UTF-8");
  }

  @Test
  void bodyOverTheLimitIs413() throws Exception {
    // The server answers 413 as soon as the limit is passed and closes the connection; a client
    // still uploading may see that close before the answer. Such attempts are refusals too, but
    // the 413 itself must be seen.
    for (int attempt = 0; attempt < 5; attempt++) {
      HttpResponse<String> r;
      try {
        r = fx.post("/v1/completions", "{\"prompt\":\"" + "a".repeat(20000) + "\"}");
      } catch (java.io.IOException closedMidUpload) {
        continue;
      }
      JsonNode e = error(r, 413);
      assertThat(e.get("code").asText()).isEqualTo("request_too_large");
      return;
    }
    org.junit.jupiter.api.Assertions.fail("no 413 answer in 5 attempts (each connection closed before the answer)");
  }

  @Test
  void errorsJettyAnswersItselfAreJsonToo() throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", fx.server.port())) {
      s.getOutputStream().write("GARBAGE\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      String raw = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(raw).startsWith("HTTP/1.1 400");
      assertThat(raw.substring(raw.indexOf("\r\n\r\n") + 4)).startsWith("{\"error\":{\"message\":").doesNotContain("<html");
    }
  }

  @Test
  void unknownRouteIs404InTheSameShape() throws Exception {
    error(fx.get("/v1/nope"), 404);
  }

  @Test
  void apiKeyIsRequiredWhenConfigured() throws Exception {
    try (ServerFixture secured = ServerFixture.start(ServerFixture.smallEngine().build(), ServerOptions.local(0).withApiKey("s3cret"), 0)) {
      String body = "{\"prompt\":\"Hi\",\"max_tokens\":2}";
      assertThat(error(secured.post("/v1/completions", body), 401).get("type").asText()).isEqualTo("authentication_error");
      error(secured.post("/v1/completions", body, "wrong"), 401);
      error(secured.get("/v1/models"), 401);
      error(secured.post("/tokenize", "{\"prompt\":\"x\"}"), 401);
      assertThat(secured.post("/v1/completions", body, "s3cret").statusCode()).isEqualTo(200);
      assertThat(secured.get("/health").statusCode()).isEqualTo(200); // probes need no key
    }
  }

  @Test
  void loadingServerAnswers503() throws Exception {
    OpenAiServer loading = new OpenAiServer(ServerOptions.local(0)).start();
    try {
      var http = fx.http;
      HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(loading.baseUrl() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(503);
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(loading.baseUrl() + "/v1/completions"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"x\"}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(error(r, 503).get("message").asText()).contains("loading");
    } finally {
      loading.shutdown(Duration.ZERO);
    }
  }

  @Test
  void fullWaitingQueueIs429WithRetryAfter() throws Exception {
    var config = ServerFixture.smallEngine().maxNumSeqs(1).maxQueuedRequests(1).build();
    try (ServerFixture busy = ServerFixture.start(config, ServerOptions.local(0), 20)) {
      String longOne = "{\"prompt\":\"Once\",\"max_tokens\":400,\"ignore_eos\":true}";
      CompletableFuture<HttpResponse<String>> running = busy.http.sendAsync(post(busy, longOne), HttpResponse.BodyHandlers.ofString());
      await(() -> busy.engine.snapshot().running() == 1);
      CompletableFuture<HttpResponse<String>> queued = busy.http.sendAsync(post(busy, longOne), HttpResponse.BodyHandlers.ofString());
      await(() -> busy.engine.snapshot().waiting() == 1);
      HttpResponse<String> refused = busy.post("/v1/completions", longOne);
      JsonNode e = error(refused, 429);
      assertThat(e.get("code").asText()).isEqualTo("queue_full");
      assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
      busy.server.abortAll();
      assertThat(running.get().statusCode()).isEqualTo(200);
      assertThat(queued.get().statusCode()).isEqualTo(200);
      assertThat(ServerFixture.json(queued.get()).get("choices").get(0).get("finish_reason").asText()).isEqualTo("abort");
    }
  }

  @Test
  void aFailureInsideTheEngineIs500WithAMessage() throws Exception {
    try (ServerFixture broken = ServerFixture.start()) {
      broken.throttled.failing = true;
      JsonNode e = error(broken.post("/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":3}"), 500);
      assertThat(e.get("type").asText()).isEqualTo("server_error");
      assertThat(e.get("message").asText()).contains("Generation failed inside the engine");
      HttpResponse<String> stream = broken.post("/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":3,\"stream\":true}");
      assertThat(stream.statusCode()).isEqualTo(200); // headers were sent before the failure
      assertThat(Sse.chunks(stream.body()).getLast().get("error").get("type").asText()).isEqualTo("server_error");
      assertThat(Sse.data(stream.body()).getLast()).isEqualTo("[DONE]");
      broken.throttled.failing = false;
      assertThat(broken.post("/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":3}").statusCode()).isEqualTo(200);
    }
  }

  static HttpRequest post(ServerFixture f, String body) {
    return HttpRequest.newBuilder(URI.create(f.url("/v1/completions"))).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("condition not reached in 10 s");
      Thread.sleep(10);
    }
  }
}
