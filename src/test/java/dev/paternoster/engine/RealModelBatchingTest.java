package dev.paternoster.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.TestModels;
import dev.paternoster.model.KvCacheDtype;
import dev.paternoster.model.LlamaModel;
import dev.paternoster.tensor.Parallel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Continuous batching on real weights: 32 prompts arriving at random times, sharing steps, chunked
 * and preempted under a small KV budget, produce token for token what each produces alone.
 */
class RealModelBatchingTest {

  @ParameterizedTest(name = "{0} {1} KV")
  @CsvSource({"models/stories260K/stories260K.gguf, F16", "models/stories260K/stories260K.gguf, F32",
      "models/tiny15m/tiny15m-q8_0.gguf, F16"})
  void concurrentGreedyOutputsEqualEachRunAlone(String path, KvCacheDtype dtype) throws Exception {
    try (LlamaModel m = LlamaModel.load(TestModels.require(path), 64, Parallel.shared())) {
      int vocab = m.config().vocabSize();
      SplittableRandom rnd = new SplittableRandom(11);
      List<int[]> prompts = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        int[] p = new int[2 + rnd.nextInt(40)];
        p[0] = 1;
        for (int j = 1; j < p.length; j++) p[j] = 3 + rnd.nextInt(Math.min(vocab, 500) - 3);
        prompts.add(p);
      }
      SamplingParams params = SamplingParams.builder().temperature(0).maxTokens(12).ignoreEos(true).build();

      List<int[]> alone = new ArrayList<>();
      try (Engine e = Engine.start(m, EngineConfig.builder().numPages(16).maxNumSeqs(1).kvCacheDtype(dtype).build())) {
        for (int[] p : prompts) alone.add(e.submit(GenerationRequest.of(p, params), ev -> {}).result().join().choice().tokenIds());
      }

      // Small budget: 24 pages of 16 tokens for up to 16 sequences forces preemption; 32-token steps force chunking.
      EngineConfig tight = EngineConfig.builder().numPages(24).maxNumSeqs(16).maxNumBatchedTokens(32).kvCacheDtype(dtype).build();
      ScheduledExecutorService arrivals = Executors.newSingleThreadScheduledExecutor();
      try (Engine e = Engine.start(m, tight)) {
        List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
          int[] p = prompts.get(i);
          CompletableFuture<GenerationResult> f = new CompletableFuture<>();
          results.add(f);
          arrivals.schedule(() -> {
            e.submit(GenerationRequest.of(p, params), ev -> {}).result().whenComplete((r, t) -> {
              if (t != null) f.completeExceptionally(t); else f.complete(r);
            });
          }, rnd.nextInt(200), TimeUnit.MILLISECONDS);
        }
        for (int i = 0; i < prompts.size(); i++) {
          assertThat(results.get(i).get(60, TimeUnit.SECONDS).choice().tokenIds())
              .as("prompt %d batched vs alone", i).containsExactly(alone.get(i));
        }
        EngineSnapshot s = e.snapshot();
        assertThat(s.kvPagesUsed()).as("pages in use after all requests ended").isZero();
        assertThat(s.running() + s.waiting()).isZero();
      } finally {
        arrivals.shutdownNow();
      }
    }
  }
}
