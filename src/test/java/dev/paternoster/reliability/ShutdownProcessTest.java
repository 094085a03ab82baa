package dev.paternoster.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.TestModels;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code paternoster serve} as a real process, stopped by signals: the first SIGTERM stops
 * admission (503 with Retry-After, /health 503) and lets running requests finish within the grace
 * period, then the process exits 0; a second SIGTERM aborts what is still running (clients get
 * finish_reason "abort" and [DONE]) and the process exits 0 long before the grace period ends.
 */
class ShutdownProcessTest {
  private static final Pattern URL = Pattern.compile("serving '[^']+' at (http://\\S+)");
  static final String LONG_STREAM = "{\"prompt\":\"Once upon a time\",\"max_tokens\":1000,\"n\":3,\"temperature\":0,"
      + "\"ignore_eos\":true,\"stream\":true}";

  /** A running {@code serve} process with its merged output captured. */
  static final class Serve implements AutoCloseable {
    final Process process;
    final StringBuffer output = new StringBuffer();
    final CompletableFuture<String> url = new CompletableFuture<>();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    Serve(double graceSeconds) throws Exception {
      String javaBin = ProcessHandle.current().info().command().orElse("java");
      List<String> cmd = new ArrayList<>(List.of(javaBin, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
          "-Xmx512m", "-cp", System.getProperty("java.class.path"), "dev.paternoster.cli.Main", "serve",
          "--model", TestModels.stories260K().toString(), "--port", "0", "--grace-period", String.valueOf(graceSeconds),
          "--threads", "1", "--max-num-seqs", "8"));
      process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      process.getOutputStream().close();
      Thread.ofVirtual().start(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            output.append(line).append('\n');
            Matcher m = URL.matcher(line);
            if (m.find()) url.complete(m.group(1));
          }
        } catch (Exception ignored) {
          // the process ended
        }
        url.completeExceptionally(new AssertionError("serve ended without printing its URL:\n" + output));
      });
    }

    String base() throws Exception {
      return url.get(90, TimeUnit.SECONDS);
    }

    HttpRequest.Builder request(String path) throws Exception {
      return HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(120));
    }

    /** SIGTERM via kill(1): {@link Process#destroy()} would also close our end of the process's output. */
    void sigterm() throws Exception {
      Process kill = new ProcessBuilder("kill", "-TERM", String.valueOf(process.pid())).inheritIO().start();
      assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(kill.exitValue()).isZero();
    }

    /** Starts a streaming request and returns once its first token event has arrived. */
    CompletableFuture<HttpResponse<String>> startStreaming(String body) throws Exception {
      CompletableFuture<Void> firstToken = new CompletableFuture<>();
      StringBuffer seen = new StringBuffer();
      CompletableFuture<HttpResponse<String>> f = http.sendAsync(request("/v1/completions").header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), info -> HttpResponse.BodySubscribers.mapping(
              HttpResponse.BodySubscribers.fromLineSubscriber(new java.util.concurrent.Flow.Subscriber<String>() {
                @Override public void onSubscribe(java.util.concurrent.Flow.Subscription s) { s.request(Long.MAX_VALUE); }
                @Override public void onNext(String line) {
                  seen.append(line).append('\n');
                  if (line.contains("\"text\":\"") && !line.contains("\"text\":\"\"")) firstToken.complete(null);
                }
                @Override public void onError(Throwable t) { firstToken.completeExceptionally(t); }
                @Override public void onComplete() { firstToken.complete(null); }
              }), v -> seen.toString()));
      firstToken.get(60, TimeUnit.SECONDS);
      return f;
    }

    @Override
    public void close() {
      if (process.isAlive()) process.destroyForcibly();
      http.close();
    }
  }

  static List<String> finishReasons(String sse) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode c : Sse.chunks(sse)) {
      for (JsonNode ch : c.get("choices")) if (ch.hasNonNull("finish_reason")) out.add(ch.get("finish_reason").asText());
    }
    return out;
  }

  @Test
  void firstSigtermDrainsRunningRequestsRefusesNewOnesAndExitsZero() throws Exception {
    try (Serve s = new Serve(60)) {
      s.base();
      assertThat(s.http.send(s.request("/health").build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      CompletableFuture<HttpResponse<String>> running = s.startStreaming(LONG_STREAM);
      long t0 = System.nanoTime();
      s.sigterm();

      // Draining: new work is refused with a retryable 503, the health check says so too.
      ReliabilityServer.await("draining", () -> s.output.indexOf("shutting down") >= 0, Duration.ofSeconds(10));
      HttpResponse<String> refused = s.http.send(s.request("/v1/completions").header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\",\"max_tokens\":2}")).build(), HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> health = s.http.send(s.request("/health").build(), HttpResponse.BodyHandlers.ofString());
      boolean stillRunning = !running.isDone();

      HttpResponse<String> answer = running.get(120, TimeUnit.SECONDS);
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(Sse.data(answer.body()).getLast()).isEqualTo("[DONE]");
      assertThat(finishReasons(answer.body())).as("drained, not aborted").containsExactly("length", "length", "length");
      assertThat(s.process.waitFor(60, TimeUnit.SECONDS)).as("exits within the grace period").isTrue();
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertThat(s.process.exitValue()).as(s.output.toString()).isZero();
      if (stillRunning) { // the long request was still going when we asked (it almost always is)
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(refused.headers().firstValue("retry-after")).isPresent();
        ErrorBodies.assertApiError(503, refused.body());
        assertThat(health.statusCode()).isEqualTo(503);
      }
      System.out.printf("shutdown: drained 3 x 1000 tokens and exited 0 in %.1f s after SIGTERM (grace 60 s); 503 checked while draining: %s%n",
          seconds, stillRunning);
      assertThat(s.output.toString()).doesNotContain("Exception");
    }
  }

  @Test
  void secondSigtermAbortsAtOnceAndStillExitsZero() throws Exception {
    try (Serve s = new Serve(300)) {
      s.base();
      String endless = LONG_STREAM.replace("\"n\":3", "\"n\":8");
      CompletableFuture<HttpResponse<String>> running = s.startStreaming(endless);
      s.sigterm();
      ReliabilityServer.await("draining", () -> s.output.indexOf("shutting down") >= 0, Duration.ofSeconds(10));
      long t0 = System.nanoTime();
      s.sigterm();
      HttpResponse<String> answer;
      try {
        answer = running.get(30, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        s.process.waitFor(30, TimeUnit.SECONDS);
        throw new AssertionError("the aborted stream broke off (" + e.getCause() + "); server output:\n" + s.output, e);
      }
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(Sse.data(answer.body()).getLast()).as("the aborted stream is still closed properly").isEqualTo("[DONE]");
      assertThat(finishReasons(answer.body())).as("aborted by the second signal").contains("abort").hasSize(8);
      assertThat(s.process.waitFor(30, TimeUnit.SECONDS)).as("exits long before the 300 s grace period").isTrue();
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertThat(s.process.exitValue()).as(s.output.toString()).isZero();
      assertThat(s.output.toString()).contains("aborting running requests");
      System.out.printf("shutdown: second SIGTERM aborted 8 sequences and exited 0 in %.1f s (grace 300 s)%n", seconds);
    }
  }
}
