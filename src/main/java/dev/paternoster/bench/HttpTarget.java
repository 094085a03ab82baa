package dev.paternoster.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible server (Paternoster's {@code serve}, llama-server, vLLM): streaming
 * {@code /v1/completions} with token-id prompts; TTFT and inter-token latency come from the arrival
 * times of the server-sent-event chunks, token counts from {@code stream_options.include_usage}.
 *
 * <p>Every request asks for {@code ignore_eos} (exact output lengths) and, by default, a -100 logit
 * bias on the 256 byte tokens: random-weight models otherwise emit lone bytes that are not UTF-8,
 * which llama-server answers with an error.
 */
public final class HttpTarget implements Target {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient client;
  private final Map<Integer, Float> logitBias;
  private final Duration requestTimeout;
  private final String modelName;
  private volatile boolean metricsAvailable;
  private final Map<String, Object> info = new LinkedHashMap<>();
  /** Requests sent a second time after their connection closed before any response. */
  private final AtomicInteger retries = new AtomicInteger();

  /**
   * @param base e.g. {@code http://127.0.0.1:8080} (a trailing {@code /v1} is accepted too)
   * @param logitBias sent with every request
   */
  public HttpTarget(URI base, Map<Integer, Float> logitBias, Duration requestTimeout) {
    String s = base.toString().replaceAll("/+$", "").replaceAll("/v1$", "");
    this.base = URI.create(s);
    this.logitBias = Map.copyOf(logitBias);
    this.requestTimeout = requestTimeout;
    // HTTP/1.1: one connection per in-flight stream, as benchmark clients do; no h2c upgrade dance.
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .executor(Executors.newVirtualThreadPerTaskExecutor())
        .build();
    this.modelName = discoverModel();
    this.metricsAvailable = scrape() != null;
    info.put("kind", "http");
    info.put("url", this.base.toString());
    info.put("model", modelName);
    info.put("metrics", metricsAvailable);
  }

  /** The first model id of {@code /v1/models}; servers with one model accept any name anyway. */
  private String discoverModel() {
    try {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/v1/models"))
          .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        JsonNode data = JSON.readTree(r.body()).path("data");
        if (data.isArray() && !data.isEmpty()) {
          JsonNode meta = data.get(0).path("meta");
          if (meta.has("n_vocab")) info.put("vocab_size", meta.get("n_vocab").asInt());
          return data.get(0).path("id").asText("default");
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot reach " + base + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return "default";
  }

  /** Vocabulary size the server reported (llama-server does), or 0. */
  public int reportedVocabSize() {
    return info.get("vocab_size") instanceof Integer i ? i : 0;
  }

  @Override
  public String describe() {
    return "OpenAI-compatible server at " + base + " (model " + modelName + ")";
  }

  /** The JSON body of one streaming completion request. */
  ObjectNode body(RequestSpec request) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", modelName);
    ArrayNode prompt = body.putArray("prompt");
    for (int id : request.promptIds()) prompt.add(id);
    body.put("max_tokens", request.outputTokens());
    body.put("temperature", 0);
    body.put("ignore_eos", true);
    body.put("stream", true);
    body.putObject("stream_options").put("include_usage", true);
    if (!logitBias.isEmpty()) {
      ObjectNode bias = body.putObject("logit_bias");
      logitBias.entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(e -> bias.put(Integer.toString(e.getKey()), e.getValue()));
    }
    return body;
  }

  @Override
  public RequestRecord send(RequestSpec request) {
    RequestRecord.Recorder recorder = new RequestRecord.Recorder(request);
    HttpRequest http = HttpRequest.newBuilder(base.resolve("/v1/completions"))
        .timeout(requestTimeout)
        .header("Content-Type", "application/json")
        .header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body(request).toString()))
        .build();
    recorder.sent();
    try {
      HttpResponse<InputStream> response;
      try {
        response = client.send(http, HttpResponse.BodyHandlers.ofInputStream());
      } catch (HttpTimeoutException | ConnectException e) {
        throw e;
      } catch (IOException e) {
        // Failed before the response headers, neither a timeout nor a refused connection: in
        // practice the pooled keep-alive connection it went out on had just been closed by the
        // server ("header parser received no bytes": llama-server ends keep-alive connections).
        // Once more, on a fresh connection; the request's clock keeps running from the first send.
        retries.incrementAndGet();
        response = client.send(http, HttpResponse.BodyHandlers.ofInputStream());
      }
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        if (response.statusCode() != 200) {
          String text = reader.lines().reduce("", (a, b) -> a + b);
          return recorder.fail("HTTP " + response.statusCode() + ": " + abbreviate(text));
        }
        return readStream(reader, recorder);
      }
    } catch (IOException e) {
      return recorder.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return recorder.fail("interrupted");
    }
  }

  /** Reads {@code data:} events until {@code [DONE]} or end of stream, stamping output chunks. */
  static RequestRecord readStream(BufferedReader reader, RequestRecord.Recorder recorder) throws IOException {
    int usageTokens = -1;
    String line;
    while ((line = reader.readLine()) != null) {
      if (!line.startsWith("data:")) continue; // comments, event names, blank separators
      String data = line.substring(5).strip();
      if (data.equals("[DONE]")) break;
      JsonNode chunk = JSON.readTree(data);
      if (chunk.has("error")) {
        JsonNode err = chunk.get("error");
        return recorder.fail("server error: " + abbreviate(err.isObject() ? err.path("message").asText(err.toString()) : err.asText()));
      }
      JsonNode choices = chunk.path("choices");
      // Like vLLM's client: a chunk with a choice is output, even when its text is empty
      // (a held-back partial character still took a decode step).
      if (choices.isArray() && !choices.isEmpty()) recorder.chunk();
      JsonNode usage = chunk.path("usage");
      if (usage.has("completion_tokens")) usageTokens = usage.get("completion_tokens").asInt();
    }
    if (recorder.chunks() == 0) return recorder.fail("stream ended without output");
    return recorder.finish(usageTokens);
  }

  @Override
  public TargetSample sample() {
    if (!metricsAvailable) return TargetSample.unknown();
    Map<String, Double> m = scrape();
    if (m == null) return TargetSample.unknown();
    return MetricsScraper.sample(m, System.nanoTime());
  }

  /** Parsed {@code /metrics}, or null when the server has none we understand. */
  private Map<String, Double> scrape() {
    try {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/metrics"))
          .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) return null;
      Map<String, Double> m = MetricsScraper.parse(r.body());
      return MetricsScraper.sample(m, 0).isKnown() ? m : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Override
  public int maxModelLen() {
    return 0;
  }

  @Override
  public Map<String, Object> info() {
    info.put("retried_requests", retries.get());
    return info;
  }

  @Override
  public void close() {
    client.close();
  }

  private static String abbreviate(String s) {
    s = s.replaceAll("\\s+", " ").strip();
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
