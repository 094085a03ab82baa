package dev.paternoster.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback server that streams completions the way OpenAI-compatible servers do: one SSE chunk
 * per token, {@code chunkMillis} apart, then a usage chunk and {@code [DONE]}. {@code max_tokens}
 * of 999 answers HTTP 400.
 */
final class FakeOpenAiServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  static {
    // Like real servers, send each small SSE chunk at once: without TCP_NODELAY, Nagle's algorithm
    // and delayed ACKs hold chunks back ~40 ms and the measured inter-token gaps collapse to zero.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }
  final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
  final AtomicInteger inFlight = new AtomicInteger(), maxInFlight = new AtomicInteger();
  private final HttpServer server;
  private final int chunkMillis;

  FakeOpenAiServer(int chunkMillis) throws IOException {
    this.chunkMillis = chunkMillis;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/v1/models", ex -> respond(ex, 200, "application/json",
        "{\"object\":\"list\",\"data\":[{\"id\":\"fake-model\",\"meta\":{\"n_vocab\":1000}}]}"));
    server.createContext("/metrics", ex -> respond(ex, 200, "text/plain",
        "paternoster_num_requests_running " + inFlight.get() + "\npaternoster_num_requests_waiting 0\n"
            + "paternoster_kv_cache_usage_perc 0.5\npaternoster_num_preemptions_total 2\n"));
    server.createContext("/v1/completions", this::complete);
    server.start();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private void complete(HttpExchange ex) throws IOException {
    JsonNode body = JSON.readTree(ex.getRequestBody());
    bodies.add(body);
    int n = body.path("max_tokens").asInt();
    if (n == 999) {
      respond(ex, 400, "application/json", "{\"error\":{\"message\":\"bad max_tokens\"}}");
      return;
    }
    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    boolean counted = true;
    try {
      ex.getResponseHeaders().set("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      try (OutputStream out = ex.getResponseBody()) {
        for (int i = 0; i < n; i++) {
          sleep(chunkMillis);
          write(out, "data: {\"id\":\"c\",\"object\":\"text_completion\",\"choices\":[{\"index\":0,\"text\":\"t" + i
              + "\",\"finish_reason\":" + (i == n - 1 ? "\"length\"" : "null") + "}]}\n\n");
        }
        write(out, "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":" + body.path("prompt").size()
            + ",\"completion_tokens\":" + n + "}}\n\n");
        // A closed-loop client sends its next request as soon as it reads [DONE]: leave the count
        // before writing it, or that request can arrive while this handler is still closing.
        inFlight.decrementAndGet();
        counted = false;
        write(out, "data: [DONE]\n\n");
      }
    } finally {
      if (counted) inFlight.decrementAndGet();
    }
  }

  private static void write(OutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  private static void sleep(int ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
