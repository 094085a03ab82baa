package dev.paternoster.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.server.ServerOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input of every kind gets an OpenAI-style 4xx naming what was wrong, never a 5xx, on both
 * generation endpoints. {@code server.ErrorsApiTest} covers the first case of each family on
 * /v1/completions; this adds the chat endpoint, more types, ranges and encodings, body limits
 * without a Content-Length, and the unknown-field rule.
 */
class BadInputTest {
  static final String C = "/v1/completions";
  static final String CHAT = "/v1/chat/completions";
  static final String MSG = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
  static final int BODY_LIMIT = 16384;
  static ReliabilityServer fx;

  @BeforeAll
  static void up() {
    fx = ReliabilityServer.start(ReliabilityServer.engineConfig().build(), ServerOptions.local(0).withMaxBodySize(BODY_LIMIT));
  }

  @AfterAll
  static void down() {
    if (fx != null) fx.close();
  }

  record Case(String name, String path, String body, String param) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Case c(String name, String body, String param) {
    return new Case(name, C, body, param);
  }

  static Case chat(String name, String body, String param) {
    return new Case(name, CHAT, body, param);
  }

  /** Sampling fields are shared: each check runs on both endpoints. */
  static List<Case> both(String name, String fields, String param) {
    return List.of(
        c(name + " (completions)", "{\"prompt\":\"Hi\"," + fields + "}", param),
        chat(name + " (chat)", "{" + MSG + "," + fields + "}", param));
  }

  static Stream<Case> badRequests() {
    List<Case> all = new ArrayList<>();
    // Not JSON, or not one JSON object.
    for (String path : new String[] {C, CHAT}) {
      String e = path.equals(C) ? "completions" : "chat";
      all.add(new Case("truncated JSON (" + e + ")", path, "{\"prompt\":", null));
      all.add(new Case("plain text (" + e + ")", path, "hello", null));
      all.add(new Case("trailing garbage (" + e + ")", path, "{\"prompt\":\"x\"} {}", null));
      all.add(new Case("single quotes (" + e + ")", path, "{'prompt':'x'}", null));
      all.add(new Case("trailing comma (" + e + ")", path, "{\"prompt\":\"x\",}", null));
      all.add(new Case("NaN literal (" + e + ")", path, "{\"prompt\":\"x\",\"temperature\":NaN}", null));
      all.add(new Case("comment (" + e + ")", path, "{/* hi */\"prompt\":\"x\"}", null));
      all.add(new Case("JSON null (" + e + ")", path, "null", null));
      all.add(new Case("JSON string (" + e + ")", path, "\"x\"", null));
      all.add(new Case("JSON array (" + e + ")", path, "[]", null));
      all.add(new Case("empty body (" + e + ")", path, "", null));
      all.add(new Case("nesting 1000 deep (" + e + ")", path, "{\"x\":" + "[".repeat(1000) + "]".repeat(1000) + "}", null));
      // Found by RequestFuzzProperties: Jackson threw NumberFormatException (a 500) for these.
      all.add(new Case("exponent beyond BigDecimal (" + e + ")", path, "{\"prompt\":\"x\",\"max_tokens\":1e9999999999}", null));
      all.add(new Case("exponent overflow (" + e + ")", path, "{\"prompt\":\"x\",\"model\":-9223372031e9996854775807}", null));
      all.add(new Case("number of 2000 digits (" + e + ")", path, "{\"prompt\":\"x\",\"n\":" + "9".repeat(2000) + "}", null));
    }
    // Wrong types of shared fields.
    all.addAll(both("max_tokens boolean", "\"max_tokens\":true", "max_tokens"));
    all.addAll(both("max_tokens array", "\"max_tokens\":[5]", "max_tokens"));
    all.addAll(both("temperature string", "\"temperature\":\"0.5\"", "temperature"));
    all.addAll(both("top_p object", "\"top_p\":{}", "top_p"));
    all.addAll(both("n string", "\"n\":\"2\"", "n"));
    all.addAll(both("seed float", "\"seed\":1.5", "seed"));
    all.addAll(both("seed beyond 64 bits", "\"seed\":123456789012345678901234567890", "seed"));
    all.addAll(both("stop array with a number", "\"stop\":[\"a\",1]", "stop"));
    all.addAll(both("stop_token_ids string", "\"stop_token_ids\":\"2\"", "stop_token_ids"));
    all.addAll(both("logit_bias array", "\"logit_bias\":[1]", "logit_bias"));
    all.addAll(both("priority string", "\"priority\":\"high\"", "priority"));
    all.addAll(both("ignore_eos string", "\"ignore_eos\":\"true\"", "ignore_eos"));
    all.addAll(both("model number", "\"model\":7", "model"));
    all.addAll(both("stream_options string", "\"stream\":true,\"stream_options\":\"yes\"", "stream_options"));
    all.addAll(both("include_usage string", "\"stream\":true,\"stream_options\":{\"include_usage\":1}", "stream_options.include_usage"));
    // Ranges of shared fields.
    all.addAll(both("max_tokens zero", "\"max_tokens\":0", "max_tokens"));
    all.addAll(both("max_tokens negative", "\"max_tokens\":-7", "max_tokens"));
    all.addAll(both("max_tokens int min", "\"max_tokens\":-2147483648", "max_tokens"));
    all.addAll(both("max_tokens int max", "\"max_tokens\":2147483647", "max_tokens"));
    all.addAll(both("max_tokens 1e400", "\"max_tokens\":1e400", "max_tokens"));
    all.addAll(both("n negative", "\"n\":-1", "n"));
    all.addAll(both("n absurd", "\"n\":1099511627776", "n"));
    all.addAll(both("n 129", "\"n\":129", "n"));
    all.addAll(both("temperature just above 2", "\"temperature\":2.0001", "temperature"));
    all.addAll(both("temperature 1e309 (infinite as a double)", "\"temperature\":1e309", "temperature"));
    all.addAll(both("temperature negative", "\"temperature\":-1", "temperature"));
    all.addAll(both("top_p negative", "\"top_p\":-0.1", "top_p"));
    all.addAll(both("top_p zero", "\"top_p\":0", "top_p"));
    all.addAll(both("top_p 1e-300 (zero as a float)", "\"top_p\":1e-300", "top_p"));
    all.addAll(both("top_p 2", "\"top_p\":2", "top_p"));
    all.addAll(both("top_k -5", "\"top_k\":-5", "top_k"));
    all.addAll(both("min_p 2", "\"min_p\":2", "min_p"));
    all.addAll(both("repetition_penalty 0", "\"repetition_penalty\":0", "repetition_penalty"));
    all.addAll(both("presence_penalty 5", "\"presence_penalty\":5", "presence_penalty"));
    all.addAll(both("frequency_penalty -3", "\"frequency_penalty\":-3", "frequency_penalty"));
    all.addAll(both("min_tokens negative", "\"min_tokens\":-1", "min_tokens"));
    all.addAll(both("stop with an empty string", "\"stop\":[\"\"]", "stop"));
    all.addAll(both("65 stop strings", "\"stop\":[" + "\"x\",".repeat(64) + "\"y\"]", "stop"));
    all.addAll(both("stop_token_ids outside the vocabulary", "\"stop_token_ids\":[100000]", "stop_token_ids"));
    all.addAll(both("logit_bias token outside the vocabulary", "\"logit_bias\":{\"100000\":1}", "logit_bias"));
    all.addAll(both("unknown model", "\"model\":\"gpt-4o\"", "model"));
    // Completion prompts.
    all.add(c("prompt number", "{\"prompt\":5}", "prompt"));
    all.add(c("prompt object", "{\"prompt\":{\"text\":\"x\"}}", "prompt"));
    all.add(c("prompt boolean", "{\"prompt\":true}", "prompt"));
    all.add(c("prompt empty array", "{\"prompt\":[]}", "prompt"));
    all.add(c("prompt array of one empty string", "{\"prompt\":[\"\"]}", "prompt"));
    all.add(c("prompt array of one empty token array", "{\"prompt\":[[]]}", "prompt"));
    all.add(c("prompt ids mixed with strings", "{\"prompt\":[1,\"a\"]}", "prompt"));
    all.add(c("prompt negative token id", "{\"prompt\":[1,-3]}", "prompt"));
    all.add(c("prompt token id beyond int", "{\"prompt\":[1,99999999999]}", "prompt"));
    all.add(c("prompt token id float", "{\"prompt\":[1,2.5]}", "prompt"));
    all.add(c("prompt of 2000 token ids (context 1024)", "{\"prompt\":[" + "5,".repeat(1999) + "5]}", "prompt"));
    all.add(c("prompt + max_tokens beyond the context", "{\"prompt\":[" + "5,".repeat(999) + "5],\"max_tokens\":100}", "max_tokens"));
    all.add(c("logprobs boolean", "{\"prompt\":\"x\",\"logprobs\":true}", "logprobs"));
    all.add(c("logprobs negative", "{\"prompt\":\"x\",\"logprobs\":-1}", "logprobs"));
    all.add(c("echo", "{\"prompt\":\"x\",\"echo\":true}", "echo"));
    all.add(c("best_of other than n", "{\"prompt\":\"x\",\"best_of\":3}", "best_of"));
    // Chat messages.
    all.add(chat("messages empty", "{\"messages\":[]}", "messages"));
    all.add(chat("messages object", "{\"messages\":{\"role\":\"user\",\"content\":\"hi\"}}", "messages"));
    all.add(chat("message null", "{\"messages\":[null]}", "messages[0]"));
    all.add(chat("message number", "{\"messages\":[1]}", "messages[0]"));
    all.add(chat("message role number", "{\"messages\":[{\"role\":5,\"content\":\"hi\"}]}", "messages[0].role"));
    all.add(chat("message role null", "{\"messages\":[{\"role\":null,\"content\":\"hi\"}]}", "messages[0].role"));
    all.add(chat("message role function", "{\"messages\":[{\"role\":\"function\",\"content\":\"hi\"}]}", "messages[0].role"));
    all.add(chat("message role empty", "{\"messages\":[{\"role\":\"\",\"content\":\"hi\"}]}", "messages[0].role"));
    all.add(chat("user message without content", "{\"messages\":[{\"role\":\"user\"}]}", "messages[0].content"));
    all.add(chat("message content object", "{\"messages\":[{\"role\":\"user\",\"content\":{}}]}", "messages[0].content"));
    all.add(chat("message content boolean", "{\"messages\":[{\"role\":\"system\",\"content\":false}]}", "messages[0].content"));
    all.add(chat("content part number", "{\"messages\":[{\"role\":\"user\",\"content\":[1]}]}", "messages[0].content[0]"));
    all.add(chat("content part without text", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}", "messages[0].content[0].text"));
    all.add(chat("content part text number", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":5}]}]}", "messages[0].content[0].text"));
    all.add(chat("content part without type", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}", "messages[0].content[0].type"));
    all.add(chat("message name number", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"name\":5}]}", "messages[0].name"));
    all.add(chat("second message bad", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"content\":\"x\"}]}", "messages[1].role"));
    all.add(chat("lone surrogate in content", "{\"messages\":[{\"role\":\"user\",\"content\":\"a\\udc00\"}]}", "messages[0].content"));
    all.add(chat("tool_choice auto", "{" + MSG + ",\"tool_choice\":\"auto\"}", "tool_choice"));
    all.add(chat("response_format json_object", "{" + MSG + ",\"response_format\":{\"type\":\"json_object\"}}", "response_format"));
    all.add(chat("logprobs number", "{" + MSG + ",\"logprobs\":2}", "logprobs"));
    all.add(chat("top_logprobs 21", "{" + MSG + ",\"logprobs\":true,\"top_logprobs\":21}", "top_logprobs"));
    all.add(chat("max_completion_tokens negative", "{" + MSG + ",\"max_completion_tokens\":-1}", "max_completion_tokens"));
    all.add(chat("max_completion_tokens string", "{" + MSG + ",\"max_completion_tokens\":\"9\"}", "max_completion_tokens"));
    all.add(chat("add_generation_prompt string", "{" + MSG + ",\"add_generation_prompt\":\"yes\"}", "add_generation_prompt"));
    all.add(chat("messages beyond the context", "{\"messages\":[{\"role\":\"user\",\"content\":\"" + "Once upon a time. ".repeat(400) + "\"}]}", "messages"));
    return all.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void badRequestIs400NamingTheParameter(Case k) throws Exception {
    HttpResponse<String> r = fx.post(k.path(), k.body());
    assertThat(r.statusCode()).as("%s -> %s", k.body().length() > 300 ? k.body().substring(0, 300) : k.body(), r.body()).isEqualTo(400);
    JsonNode e = ErrorBodies.assertApiError(400, r.body());
    assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
    if (k.param() != null) assertThat(e.get("param").asText()).as(r.body()).isEqualTo(k.param());
  }

  static Stream<Arguments> invalidUtf8() {
    return Stream.of(
        Arguments.of("stray continuation byte", new byte[] {(byte) 0x80}),
        Arguments.of("0xFF", new byte[] {(byte) 0xFF}),
        Arguments.of("overlong slash", new byte[] {(byte) 0xC0, (byte) 0xAF}),
        Arguments.of("truncated 3-byte sequence", new byte[] {(byte) 0xE2, (byte) 0x82}),
        Arguments.of("encoded surrogate", new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}),
        Arguments.of("beyond U+10FFFF", new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidUtf8")
  void invalidUtf8Is400(String name, byte[] bad) throws Exception {
    for (String where : new String[] {"completions value", "completions key", "chat content"}) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      String path;
      switch (where) {
        case "completions value" -> {
          path = C;
          b.writeBytes("{\"prompt\":\"a".getBytes(StandardCharsets.UTF_8));
          b.writeBytes(bad);
          b.writeBytes("b\",\"max_tokens\":2}".getBytes(StandardCharsets.UTF_8));
        }
        case "completions key" -> {
          path = C;
          b.writeBytes("{\"prompt\":\"ab\",\"x".getBytes(StandardCharsets.UTF_8));
          b.writeBytes(bad);
          b.writeBytes("\":1}".getBytes(StandardCharsets.UTF_8));
        }
        default -> {
          path = CHAT;
          b.writeBytes("{\"messages\":[{\"role\":\"user\",\"content\":\"".getBytes(StandardCharsets.UTF_8));
          b.writeBytes(bad);
          b.writeBytes("\"}]}".getBytes(StandardCharsets.UTF_8));
        }
      }
      HttpResponse<String> r = fx.http.send(fx.request(path).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(b.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("%s in %s: %s", name, where, r.body()).isEqualTo(400);
      assertThat(ErrorBodies.assertApiError(400, r.body()).get("message").asText()).as(r.body()).containsIgnoringCase("UTF-8");
    }
  }

  @Test
  void bodyOverTheLimitWithoutContentLengthIs413() throws Exception {
    // Chunked transfer: the server cannot refuse up front and must stop reading at the limit.
    for (String path : new String[] {C, CHAT}) {
      try (RawHttp raw = RawHttp.open(fx.port(), 20_000)) {
        StringBuilder req = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n");
        String chunk = "a".repeat(4096);
        req.append(Integer.toHexString(12)).append("\r\n{\"prompt\":\"a\r\n");
        for (int i = 0; i < 8; i++) req.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        req.append("2\r\n\"}\r\n0\r\n\r\n");
        raw.writeRaw(req.toString().getBytes(StandardCharsets.US_ASCII));
        String body = raw.readAll();
        assertThat(raw.status).as(body).isEqualTo(413);
        assertThat(ErrorBodies.assertApiError(413, body).get("code").asText()).isEqualTo("request_too_large");
      }
    }
  }

  @Test
  void hugeDeclaredContentLengthIsRefusedBeforeTheBodyArrives() throws Exception {
    try (RawHttp raw = RawHttp.open(fx.port(), 10_000)) {
      raw.writeRaw(("POST " + C + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{")
          .getBytes(StandardCharsets.US_ASCII));
      String body = raw.readAll();
      assertThat(raw.status).as(body).isEqualTo(413);
      ErrorBodies.assertApiError(413, body);
    }
  }

  @Test
  void bodyJustUnderTheLimitIsServed() throws Exception {
    // The limit counts bytes, not characters: 'é' takes two.
    String filler = "é".repeat((BODY_LIMIT - 200) / 2);
    String body = "{\"prompt\":\"Hi\",\"max_tokens\":1,\"user\":\"" + filler + "\"}";
    assertThat(body.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(BODY_LIMIT);
    assertThat(fx.post(C, body).statusCode()).isEqualTo(200);
  }

  /**
   * The documented rule (docs/RELIABILITY.md): unknown top-level fields are ignored and logged as a
   * warning, as vLLM does, so clients written for newer API versions keep working. The answer is
   * exactly the one without the unknown fields.
   */
  @Test
  void unknownFieldsAreIgnoredWithAWarningOnBothEndpoints() throws Exception {
    String[][] pairs = {
        {C, "{\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"temperature\":0}",
            "{\"prompt\":\"Once upon a time\",\"max_tokens\":12,\"temperature\":0,\"frobnicate\":true,\"reasoning_effort\":\"high\",\"x_meta\":{\"a\":[1,2]}}"},
        {CHAT, "{" + MSG + ",\"max_tokens\":12,\"temperature\":0}",
            "{" + MSG + ",\"max_tokens\":12,\"temperature\":0,\"frobnicate\":true,\"store\":false,\"metadata\":{\"k\":\"v\"}}"}};
    PrintStream realErr = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      for (String[] p : pairs) {
        HttpResponse<String> plain = fx.post(p[0], p[1]);
        HttpResponse<String> extra = fx.post(p[0], p[2]);
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
        assertThat(extra.statusCode()).as(extra.body()).isEqualTo(200);
        assertThat(text(extra.body())).isEqualTo(text(plain.body()));
      }
    } finally {
      System.setErr(realErr);
    }
    String log = captured.toString(StandardCharsets.UTF_8);
    realErr.print(log);
    assertThat(log).contains("/v1/completions: ignoring unknown fields [frobnicate, reasoning_effort, x_meta]");
    assertThat(log).contains("/v1/chat/completions: ignoring unknown fields [frobnicate, store, metadata]");
  }

  static String text(String body) throws Exception {
    JsonNode choice = ReliabilityServer.json(body).get("choices").get(0);
    return choice.has("text") ? choice.get("text").asText() : choice.get("message").get("content").asText();
  }

  @Test
  void serverStillServesAfterAllThat() throws Exception {
    badRequests().forEach(k -> {
      try {
        fx.post(k.path(), k.body());
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    HttpResponse<String> ok = fx.post(C, "{\"prompt\":\"Once upon a time\",\"max_tokens\":5}");
    assertThat(ok.statusCode()).isEqualTo(200);
    fx.awaitSettled();
  }
}
