package dev.paternoster.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paternoster.server.Json;
import dev.paternoster.server.ServerOptions;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property-based fuzzing of request bodies against a real server: random JSON trees, random
 * byte-level mutations of valid bodies, and random values of random types for every known field.
 * Whatever arrives, the server answers within the per-request timeout, never with a 5xx, and every
 * error is OpenAI-shaped JSON without a stack trace. Afterwards nothing is left running.
 *
 * <p>The context is short (96 tokens) so that a body that happens to be valid (n up to 128 with
 * all the context to fill) is cheap to serve.
 */
class RequestFuzzProperties {
  static final Duration TIMEOUT = Duration.ofSeconds(30);
  static final String[] PATHS = {"/v1/completions", "/v1/chat/completions", "/tokenize", "/detokenize"};
  static final String[] KNOWN_FIELDS = {"model", "prompt", "messages", "max_tokens", "max_completion_tokens", "temperature",
      "top_p", "top_k", "min_p", "n", "seed", "stop", "stop_token_ids", "logit_bias", "logprobs", "top_logprobs", "echo",
      "suffix", "best_of", "stream", "stream_options", "priority", "ignore_eos", "min_tokens", "repetition_penalty",
      "presence_penalty", "frequency_penalty", "user", "tools", "tool_choice", "response_format", "add_generation_prompt",
      "parallel_tool_calls", "skip_special_tokens", "tokens", "add_special_tokens"};
  static final JsonNodeFactory F = JsonNodeFactory.instance;

  static ReliabilityServer fx;
  static final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();

  @BeforeContainer
  static void up() {
    fx = ReliabilityServer.start(ReliabilityServer.engineConfig().maxModelLen(96).build(), ServerOptions.local(0).withMaxBodySize(64 * 1024));
  }

  @AfterContainer
  static void down() throws Exception {
    if (fx == null) return;
    try {
      fx.awaitSettled();
      System.out.println("fuzz: statuses " + new TreeMap<>(statuses));
      assertThat(statuses.keySet()).allMatch(s -> s < 500);
    } finally {
      fx.close();
    }
  }

  /** Sends raw bytes and checks the answer; returns the status. */
  static int send(String path, byte[] body) throws Exception {
    HttpResponse<String> r;
    try {
      r = fx.http.send(fx.request(path).timeout(TIMEOUT).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      throw new AssertionError("no answer within " + TIMEOUT.toSeconds() + " s to " + path + " " + preview(body));
    }
    statuses.computeIfAbsent(r.statusCode(), k -> new AtomicLong()).incrementAndGet();
    assertThat(r.statusCode()).as("%s %s -> %s", path, preview(body), r.body()).isLessThan(500);
    if (r.statusCode() >= 400) {
      ErrorBodies.assertApiError(r.statusCode(), r.body());
    } else {
      String ct = r.headers().firstValue("content-type").orElse("");
      if (ct.startsWith("text/event-stream")) {
        assertThat(r.body()).as("a stream ends with [DONE]").contains("data: [DONE]");
        for (String d : Sse.data(r.body())) {
          if (d.equals("[DONE]")) continue;
          JsonNode chunk = Json.MAPPER.readTree(d);
          assertThat(chunk.has("error")).as("error event in %s", r.body()).isFalse();
        }
      } else {
        Json.MAPPER.readTree(r.body()); // a success is valid JSON
      }
    }
    return r.statusCode();
  }

  static String preview(byte[] b) {
    String s = new String(b, StandardCharsets.UTF_8);
    return s.length() > 400 ? s.substring(0, 400) + "..." : s;
  }

  // ------------------------------------------------------------------ properties

  @Property(tries = 250)
  void randomJsonTreesNeverGetA5xx(@ForAll("paths") String path, @ForAll("anyJson") JsonNode body) throws Exception {
    send(path, Json.bytes(body));
  }

  @Property(tries = 300)
  void randomTypesForKnownFieldsNeverGetA5xx(@ForAll("paths") String path, @ForAll("fieldValues") List<Tuple.Tuple2<String, JsonNode>> fields)
      throws Exception {
    ObjectNode body = validBody(path);
    for (var f : fields) body.set(f.get1(), f.get2());
    send(path, Json.bytes(body));
  }

  @Property(tries = 300)
  void mutatedValidBodiesNeverGetA5xx(@ForAll("paths") String path, @ForAll("mutations") List<Mutation> mutations) throws Exception {
    byte[] body = Json.bytes(validBody(path));
    for (Mutation m : mutations) body = m.apply(body);
    send(path, body);
  }

  // ------------------------------------------------------------------ generators

  static ObjectNode validBody(String path) {
    ObjectNode o = F.objectNode();
    switch (path) {
      case "/v1/completions" -> o.put("prompt", "Once upon a time").put("max_tokens", 8);
      case "/v1/chat/completions" -> {
        o.putArray("messages").addObject().put("role", "user").put("content", "Hi");
        o.put("max_tokens", 8);
      }
      case "/tokenize" -> o.put("prompt", "Hello there");
      default -> o.putArray("tokens").add(1).add(300).add(400);
    }
    return o;
  }

  @Provide
  Arbitrary<String> paths() {
    return Arbitraries.of(PATHS);
  }

  @Provide
  Arbitrary<JsonNode> anyJson() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, json(3)),
        Tuple.of(4, objectOf(json(2), 1, 6)));
  }

  @Provide
  Arbitrary<List<Tuple.Tuple2<String, JsonNode>>> fieldValues() {
    return Combinators.combine(Arbitraries.of(KNOWN_FIELDS), json(2)).as(Tuple::of).list().ofMinSize(1).ofMaxSize(4);
  }

  static Arbitrary<JsonNode> json(int depth) {
    Arbitrary<JsonNode> leaf = leaf();
    if (depth == 0) return leaf;
    return Arbitraries.frequencyOf(
        Tuple.of(5, leaf),
        Tuple.of(1, json(depth - 1).list().ofMaxSize(5).map(l -> {
          ArrayNode a = F.arrayNode();
          l.forEach(a::add);
          return a;
        })),
        Tuple.of(1, objectOf(json(depth - 1), 0, 4)),
        Tuple.of(1, messages()));
  }

  static Arbitrary<JsonNode> objectOf(Arbitrary<JsonNode> values, int min, int max) {
    Arbitrary<String> keys = Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.of(KNOWN_FIELDS)),
        Tuple.of(1, Arbitraries.of("role", "content", "type", "text", "name", "include_usage", "0", "5", "")),
        Tuple.of(1, Arbitraries.strings().ofMaxLength(12)));
    return Combinators.combine(keys, values).as(Tuple::of).list().ofMinSize(min).ofMaxSize(max).map(l -> {
      ObjectNode o = F.objectNode();
      for (var t : l) o.set(t.get1(), t.get2());
      return o;
    });
  }

  /** Chat messages with random roles and contents, so the message parser and template get fuzzed too. */
  static Arbitrary<JsonNode> messages() {
    Arbitrary<JsonNode> role = Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.of("system", "developer", "user", "assistant", "tool").map(F::textNode)),
        Tuple.of(1, leaf()));
    Arbitrary<JsonNode> content = Arbitraries.frequencyOf(
        Tuple.of(3, text().map(F::textNode)),
        Tuple.of(1, text().list().ofMaxSize(3).map(l -> {
          ArrayNode a = F.arrayNode();
          for (String s : l) a.addObject().put("type", "text").put("text", s);
          return a;
        })),
        Tuple.of(1, leaf()));
    Arbitrary<JsonNode> message = Combinators.combine(role, content, Arbitraries.integers().between(0, 3)).as((r, c, drop) -> {
      ObjectNode m = F.objectNode();
      if (drop != 1) m.set("role", r);
      if (drop != 2) m.set("content", c);
      return m;
    });
    return message.list().ofMinSize(0).ofMaxSize(4).map(l -> {
      ArrayNode a = F.arrayNode();
      l.forEach(a::add);
      return a;
    });
  }

  static Arbitrary<String> text() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.of("", "Hi", "Once upon a time", "<s>", "</s>", "{{ messages }}", "{% for x in y %}", "\u0000",
            "\u00e9t\u00e9 \ud83d\ude00", "\\n\\t", "a".repeat(300), "<|im_start|>user")),
        Tuple.of(2, Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(40)),
        Tuple.of(1, Arbitraries.strings().all().ofMaxLength(20)));
  }

  static Arbitrary<JsonNode> leaf() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.just(F.nullNode())),
        Tuple.of(1, Arbitraries.of(true, false).map(F::booleanNode)),
        Tuple.of(3, Arbitraries.of(0, 1, 2, -1, 3, 8, 20, 21, 64, 95, 96, 127, 128, 129, 511, 512, 100000, Integer.MAX_VALUE,
            Integer.MIN_VALUE).map(F::numberNode)),
        Tuple.of(2, Arbitraries.integers().map(F::numberNode)),
        Tuple.of(1, Arbitraries.longs().map(F::numberNode)),
        Tuple.of(2, Arbitraries.of(0.0, -0.0, 0.5, 1.0, 1.0000001, 2.0, 2.5, -0.1, 1e-300, 1e300, 100.0, -100.0, 3.4e39)
            .map(F::numberNode)),
        Tuple.of(1, Arbitraries.doubles().map(F::numberNode)),
        Tuple.of(1, Arbitraries.of("1e400", "-1e400", "123456789012345678901234567890", "0.000", "2.0", "1E+2")
            .map(s -> F.numberNode(new BigDecimal(s)))),
        Tuple.of(3, text().map(F::textNode)));
  }

  /** One byte-level change to a body. */
  interface Mutation {
    byte[] apply(byte[] b);
  }

  @Provide
  Arbitrary<List<Mutation>> mutations() {
    Arbitrary<Double> where = Arbitraries.doubles().between(0, 1);
    Arbitrary<Mutation> flip = Combinators.combine(where, Arbitraries.integers().between(0, 7)).as((w, bit) -> b -> {
      if (b.length == 0) return b;
      byte[] c = b.clone();
      int i = (int) (w * (c.length - 1));
      c[i] ^= (byte) (1 << bit);
      return c;
    });
    Arbitrary<Mutation> truncate = where.map(w -> b -> Arrays.copyOf(b, (int) (w * b.length)));
    Arbitrary<Mutation> insert = Combinators.combine(where, Arbitraries.of("\"", "{", "}", "[", "]", ",", ":", "\\", "\\u", "\\ud800",
        "null", "-", "1e999", "\u0000", "\u00ff", "\"x\":1,", "\"n\":128,", "\"stream\":true,", "\"max_tokens\":90,")).as((w, s) -> b -> {
          int i = (int) (w * b.length);
          byte[] ins = s.getBytes(StandardCharsets.ISO_8859_1);
          byte[] c = new byte[b.length + ins.length];
          System.arraycopy(b, 0, c, 0, i);
          System.arraycopy(ins, 0, c, i, ins.length);
          System.arraycopy(b, i, c, i + ins.length, b.length - i);
          return c;
        });
    Arbitrary<Mutation> delete = Combinators.combine(where, Arbitraries.integers().between(1, 8)).as((w, n) -> b -> {
      int i = (int) (w * b.length);
      int end = Math.min(b.length, i + n);
      byte[] c = new byte[b.length - (end - i)];
      System.arraycopy(b, 0, c, 0, i);
      System.arraycopy(b, end, c, i, b.length - end);
      return c;
    });
    Arbitrary<Mutation> duplicate = Combinators.combine(where, where).as((a, z) -> b -> {
      int i = (int) (Math.min(a, z) * b.length), j = (int) (Math.max(a, z) * b.length);
      byte[] c = new byte[b.length + (j - i)];
      System.arraycopy(b, 0, c, 0, j);
      System.arraycopy(b, i, c, j, b.length - i);
      return c;
    });
    Arbitrary<Mutation> field = Combinators.combine(Arbitraries.of(KNOWN_FIELDS), json(2)).as((k, v) -> b -> {
      try {
        JsonNode n = Json.MAPPER.readTree(b);
        if (!(n instanceof ObjectNode o)) return b;
        o.set(k, v);
        return Json.bytes(o);
      } catch (Exception e) {
        return b; // an earlier mutation broke the JSON: leave it broken
      }
    });
    return Arbitraries.oneOf(flip, truncate, insert, delete, duplicate, field).list().ofMinSize(1).ofMaxSize(4);
  }
}
