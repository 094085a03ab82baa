package dev.paternoster.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.server.ServerOptions;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Arrivals far above capacity: beyond {@code --max-queued-requests} the server answers 429 with
 * {@code Retry-After} at once, admitted requests complete with their normal text, and every
 * request is accounted for: sent == 200 + 429 + cancelled by its client.
 */
class OverloadTest {
  static final int MAX_QUEUED = 4;
  static final int BURST = 80;

  @Test
  void aBurstBeyondTheQueueIs429WithRetryAfterAndNothingIsDropped() throws Exception {
    var config = ReliabilityServer.engineConfig().maxNumSeqs(2).maxQueuedRequests(MAX_QUEUED).build();
    try (ReliabilityServer fx = ReliabilityServer.start(config, ServerOptions.local(0))) {
      String[] bodies = {
          "{\"prompt\":\"Once upon a time\",\"max_tokens\":40,\"temperature\":0,\"ignore_eos\":true}",
          "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}],\"max_tokens\":40,\"temperature\":0,\"ignore_eos\":true}"};
      String[] paths = {"/v1/completions", "/v1/chat/completions"};
      String[] reference = new String[2];
      for (int k = 0; k < 2; k++) reference[k] = BadInputTest.text(fx.post(paths[k], bodies[k]).body());
      fx.faulty.stepMillis = 2; // capacity: two sequences at ~2 ms a step, against 80 arrivals at once

      AtomicInteger ok = new AtomicInteger();
      AtomicInteger tooMany = new AtomicInteger();
      AtomicInteger cancelled = new AtomicInteger();
      AtomicInteger maxWaiting = new AtomicInteger();
      ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Long> rejectMillis = new ConcurrentLinkedQueue<>();
      CountDownLatch go = new CountDownLatch(1);
      Thread watcher = Thread.ofVirtual().start(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          var snap = fx.engine.snapshot();
          maxWaiting.accumulateAndGet(snap.waiting(), Math::max);
          try {
            Thread.sleep(1);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < BURST; i++) {
          int k = i % 2;
          boolean stream = i % 3 == 0;
          boolean cancel = i % 10 == 9;
          pool.submit(() -> {
            String body = bodies[k].substring(0, bodies[k].length() - 1) + (stream ? ",\"stream\":true}" : "}");
            go.await();
            long t0 = System.nanoTime();
            CompletableFuture<HttpResponse<String>> f = fx.http.sendAsync(fx.request(paths[k]).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (cancel) {
              Thread.sleep(30);
              if (f.cancel(true)) {
                cancelled.incrementAndGet();
                return null;
              }
            }
            HttpResponse<String> r = f.get(120, TimeUnit.SECONDS);
            try {
              if (r.statusCode() == 429) {
                rejectMillis.add((System.nanoTime() - t0) / 1_000_000);
                JsonNode e = ErrorBodies.assertApiError(429, r.body());
                assertThat(e.get("type").asText()).isEqualTo("rate_limit_error");
                assertThat(e.get("code").asText()).isEqualTo("queue_full");
                assertThat(r.headers().firstValue("retry-after")).as("Retry-After").isPresent();
                assertThat(Integer.parseInt(r.headers().firstValue("retry-after").get())).isPositive();
                tooMany.incrementAndGet();
              } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                String text = stream ? streamedText(r.body(), k == 1) : BadInputTest.text(r.body());
                assertThat(text).as("admitted request %d completes with its normal text", k).isEqualTo(reference[k]);
                ok.incrementAndGet();
              }
            } catch (Throwable e) {
              problems.add(e.toString());
            }
            return null;
          });
        }
        go.countDown();
      }
      watcher.interrupt();
      watcher.join();

      System.out.printf("overload: %d sent, %d ok, %d x 429, %d cancelled by client; max waiting %d (cap %d); 429 p50 %d ms%n",
          BURST, ok.get(), tooMany.get(), cancelled.get(), maxWaiting.get(), MAX_QUEUED,
          rejectMillis.stream().sorted().toList().get(Math.max(0, rejectMillis.size() / 2 - 1)));
      assertThat(problems).isEmpty();
      assertThat(ok.get() + tooMany.get() + cancelled.get()).as("sent == 200 + 429 + cancelled").isEqualTo(BURST);
      assertThat(tooMany.get()).as("overload refused").isPositive();
      assertThat(ok.get()).as("admitted requests completed").isGreaterThanOrEqualTo(2 + MAX_QUEUED);
      assertThat(maxWaiting.get()).as("the waiting queue never exceeds its cap").isLessThanOrEqualTo(MAX_QUEUED);
      fx.awaitSettled();
      fx.faulty.stepMillis = 0;
      assertThat(BadInputTest.text(fx.post(paths[0], bodies[0]).body())).as("serving after the burst").isEqualTo(reference[0]);
    }
  }

  /** The same burst keeps going: retrying after Retry-After, every client eventually gets its answer. */
  @Test
  void clientsThatHonourRetryAfterAllGetServed() throws Exception {
    var config = ReliabilityServer.engineConfig().maxNumSeqs(2).maxQueuedRequests(2).build();
    try (ReliabilityServer fx = ReliabilityServer.start(config, ServerOptions.local(0))) {
      String body = "{\"prompt\":\"The dog\",\"max_tokens\":12,\"temperature\":0}";
      String reference = BadInputTest.text(fx.post("/v1/completions", body).body());
      fx.faulty.stepMillis = 2;
      AtomicInteger retries = new AtomicInteger();
      List<CompletableFuture<String>> answers = new ArrayList<>();
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < 12; i++) {
          answers.add(CompletableFuture.supplyAsync(() -> {
            try {
              for (int attempt = 0; attempt < 100; attempt++) {
                HttpResponse<String> r = fx.post("/v1/completions", body);
                if (r.statusCode() == 200) return BadInputTest.text(r.body());
                assertThat(r.statusCode()).isEqualTo(429);
                retries.incrementAndGet();
                // Retry-After says 1 s; a test waits a fraction of it, with jitter.
                Thread.sleep(20 + (long) (Math.random() * 80));
              }
              throw new AssertionError("never admitted");
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
          }, pool));
        }
        for (CompletableFuture<String> a : answers) assertThat(a.get(120, TimeUnit.SECONDS)).isEqualTo(reference);
      }
      assertThat(retries.get()).as("some were refused first").isPositive();
      fx.awaitSettled();
    }
  }

  static String streamedText(String body, boolean chat) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (JsonNode c : Sse.chunks(body)) {
      assertThat(c.has("error")).as(body).isFalse();
      JsonNode ch = c.get("choices").get(0);
      JsonNode d = chat ? ch.get("delta").get("content") : ch.get("text");
      if (d != null && !d.isNull()) sb.append(d.asText());
    }
    assertThat(body).contains("data: [DONE]");
    return sb.toString();
  }

}
