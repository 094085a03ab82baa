package dev.paternoster.engine;

import static dev.paternoster.engine.Harness.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class EngineConcurrencyTest {

  /**
   * 32 clients arrive at random times from several threads; half share a prompt prefix; the KV
   * cache is small enough to force preemption. Every output must equal, token for token, the same
   * request run alone: batching, chunking, prefix sharing and recompute must be invisible.
   */
  @Test
  void thirtyTwoConcurrentRequestsGiveTheirSoloGreedyOutputs() throws Exception {
    FakeModel.Rule rule = FakeModel.withEos(40);
    Random rnd = new Random(20261101);
    int n = 32;
    int[] shared = prompt(999, 16);
    int[][] prompts = new int[n][];
    SamplingParams[] params = new SamplingParams[n];
    for (int i = 0; i < n; i++) {
      int[] own = prompt(i, 2 + rnd.nextInt(22));
      prompts[i] = i % 2 == 0 ? concat(shared, own) : own;
      params[i] = SamplingParams.greedy(4 + rnd.nextInt(27));
    }
    FakeModel model = new FakeModel(rule, 2048, 4096);
    model.beforeForward = b -> LockSupport.parkNanos(1_000_000);
    ScheduledExecutorService clients = Executors.newScheduledThreadPool(4);
    List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
    try (Engine engine = Engine.start(model, config(24).maxModelLen(80).maxNumSeqs(8).maxNumBatchedTokens(32).build())) {
      for (int i = 0; i < n; i++) {
        int k = i;
        CompletableFuture<GenerationResult> f = new CompletableFuture<>();
        results.add(f);
        clients.schedule(() -> {
          try {
            engine.submit(new GenerationRequest("c" + k, prompts[k], params[k]), null).result().whenComplete((r, t) -> f.complete(r));
          } catch (RuntimeException e) {
            f.completeExceptionally(e);
          }
        }, rnd.nextInt(60), TimeUnit.MILLISECONDS);
      }
      CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      assertNoLeaks(engine);
      assertThat(engine.snapshot().preemptionsTotal()).as("the small cache forced preemption").isPositive();
      assertThat(engine.snapshot().prefixCacheHitsTotal()).isPositive();
    } finally {
      clients.shutdownNow();
    }
    try (Engine solo = soloEngine(rule)) {
      for (int i = 0; i < n; i++) {
        GenerationResult expected = await(solo.submit(new GenerationRequest("solo" + i, prompts[i], params[i]), null));
        GenerationResult actual = results.get(i).join();
        assertThat(actual.choice().tokenIds()).as("c" + i).containsExactly(expected.choice().tokenIds());
        assertThat(actual.choice().text()).isEqualTo(expected.choice().text());
        assertThat(actual.choice().finishReason()).isEqualTo(expected.choice().finishReason());
      }
    }
  }

  static int[] concat(int[] a, int[] b) {
    int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
