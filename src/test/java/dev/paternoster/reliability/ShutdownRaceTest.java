package dev.paternoster.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.server.OpenAiServer;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Requests that race a graceful shutdown: clients keep sending while the server drains and stops.
 * Every request gets a clean answer (200 — finished, or aborted when the grace period ran out —
 * or 503 with Retry-After) or a refused connection once the port is closed; never a 500 or a
 * truncated stream; no request hangs, whether sent while serving or while stopping (see
 * ShutdownAcceptRaceTest for the connection Jetty's stop used to leave open); and the engine ends
 * with nothing running and no page held.
 */
class ShutdownRaceTest {
  @Test
  void requestsRacingAGracefulShutdownAllGetACleanAnswer() throws Exception {
    try (ReliabilityServer fx = ReliabilityServer.start(ReliabilityServer.engineConfig().maxNumSeqs(4).build(),
        dev.paternoster.server.ServerOptions.local(0))) {
      fx.faulty.stepMillis = 1;
      Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
      ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
      AtomicBoolean stopped = new AtomicBoolean();
      try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
        java.net.URI url = java.net.URI.create(fx.url("/v1/completions")); // the port reads -1 once stopping
        for (int c = 0; c < 12; c++) {
          int id = c;
          clients.submit(() -> {
            for (int i = 0; !stopped.get(); i++) {
              boolean stream = (id + i) % 2 == 0;
              int maxTokens = (id % 3 == 0) ? 400 : 20; // some outlive the 1 s grace period
              String body = "{\"prompt\":\"Once upon a time\",\"max_tokens\":" + maxTokens + ",\"ignore_eos\":true,\"temperature\":0"
                  + (stream ? ",\"stream\":true" : "") + "}";
              String outcome;
              boolean serving = fx.server.state() == OpenAiServer.State.READY;
              try {
                HttpResponse<String> r = fx.http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(20))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
                outcome = classify(r, stream);
              } catch (java.net.http.HttpTimeoutException e) {
                // Neither an answer nor a closed connection: a lost request, whenever it was sent.
                problems.add("no answer within 20 s (request " + i + " of client " + id + ", sent while "
                    + (serving ? "serving" : "stopping") + ")");
                outcome = "hung";
              } catch (IOException e) {
                if (serving && fx.server.state() == OpenAiServer.State.READY) problems.add("I/O error while serving: " + e);
                // A response cut off in its body was accepted and then dropped: that is a lost answer.
                // (Refused connections, or a kept-alive connection closed before the request was read, are not.)
                String m = String.valueOf(e.getMessage());
                if (m.contains("chunked transfer encoding") || m.contains("content-length") || m.contains("EOF reached while reading")) {
                  problems.add("response cut off during shutdown: " + e);
                }
                outcome = "connection refused/closed once stopped";
              } catch (Throwable e) {
                problems.add(e.toString());
                outcome = "problem";
              }
              outcomes.computeIfAbsent(outcome, k -> new AtomicLong()).incrementAndGet();
              if (!outcome.startsWith("200")) Thread.sleep(20); // no busy loop against a closed port
              if (outcome.startsWith("connection")) break;
            }
            return null;
          });
        }
        ReliabilityServer.await("some requests served", () -> outcomes.containsKey("200 finished"), Duration.ofSeconds(30));
        Thread stopper = Thread.ofPlatform().start(() -> fx.server.shutdown(Duration.ofSeconds(1)));
        ReliabilityServer.await("draining", () -> fx.server.state() != OpenAiServer.State.READY, Duration.ofSeconds(10));
        if (fx.server.state() == OpenAiServer.State.DRAINING) { // the long requests keep it draining for the 1 s grace
          HttpResponse<String> refused = fx.http.send(HttpRequest.newBuilder(url).header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\"}")).build(), HttpResponse.BodyHandlers.ofString());
          outcomes.computeIfAbsent(classify(refused, false), k -> new AtomicLong()).incrementAndGet();
          assertThat(refused.statusCode()).as("a new request while draining").isEqualTo(503);
        }
        stopper.join();
        stopped.set(true);
      }
      System.out.println("shutdown race: " + new TreeMap<>(outcomes));
      assertThat(problems).isEmpty();
      assertThat(outcomes).containsKey("200 finished");
      ReliabilityServer.await("engine idle", () -> fx.engine.snapshot().running() == 0 && fx.engine.snapshot().kvPagesUsed() == 0,
          Duration.ofSeconds(10));
      assertThat(fx.server.inFlight().size()).isZero();
    }
  }

  static String classify(HttpResponse<String> r, boolean stream) throws Exception {
    if (r.statusCode() == 503) {
      ErrorBodies.assertApiError(503, r.body());
      assertThat(r.headers().firstValue("retry-after")).isPresent();
      return "503";
    }
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    String reason;
    if (stream) {
      assertThat(Sse.data(r.body())).as("a stream is closed properly: %s", r.body()).last().isEqualTo("[DONE]");
      reason = null;
      for (JsonNode c : Sse.chunks(r.body())) {
        assertThat(c.has("error")).as(r.body()).isFalse();
        JsonNode ch = c.get("choices").get(0);
        if (ch.hasNonNull("finish_reason")) reason = ch.get("finish_reason").asText();
      }
    } else {
      reason = ReliabilityServer.json(r.body()).get("choices").get(0).get("finish_reason").asText();
    }
    assertThat(reason).isIn("length", "abort");
    return reason.equals("abort") ? "200 aborted at the end of the grace period" : "200 finished";
  }
}
