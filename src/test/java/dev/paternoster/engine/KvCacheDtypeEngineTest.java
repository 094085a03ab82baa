package dev.paternoster.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.TestModels;
import dev.paternoster.model.KvCacheDtype;
import dev.paternoster.model.LlamaModel;
import dev.paternoster.tensor.Parallel;
import org.junit.jupiter.api.Test;

/** The KV element type reaches the model's page size and the engine's page count. */
class KvCacheDtypeEngineTest {

  @Test
  void anF16CacheHoldsTwiceThePagesOfAnF32CacheInTheSameBytes() {
    try (LlamaModel m = LlamaModel.load(TestModels.require("models/stories260K/stories260K.gguf"), 64, Parallel.shared())) {
      long f16 = m.kvBytesPerPage(16, KvCacheDtype.F16);
      long f32 = m.kvBytesPerPage(16, KvCacheDtype.F32);
      // 5 layers x (K and V) x 16 positions x kvDim 32
      assertThat(f32).isEqualTo(2L * 5 * 16 * 32 * 4);
      assertThat(f16 * 2).isEqualTo(f32);
      assertThat(m.kvBytesPerPage(16)).as("default").isEqualTo(f16);

      long budget = 40 * f32;
      int pagesF16, pagesF32;
      try (Engine e = Engine.start(m, EngineConfig.builder().kvCacheBytes(budget).build())) {
        pagesF16 = e.snapshot().kvPagesTotal();
      }
      try (Engine e = Engine.start(m, EngineConfig.builder().kvCacheBytes(budget).kvCacheDtype(KvCacheDtype.F32).build())) {
        pagesF32 = e.snapshot().kvPagesTotal();
      }
      assertThat(pagesF32).isEqualTo(40);
      assertThat(pagesF16).isEqualTo(80);

      // both generate, and agree on the first greedy tokens of this prompt
      SamplingParams p = SamplingParams.builder().temperature(0).maxTokens(8).ignoreEos(true).build();
      int[] prompt = m.tokenizer().encode("Once upon a time", true, false);
      int[][] ids = new int[2][];
      KvCacheDtype[] types = {KvCacheDtype.F16, KvCacheDtype.F32};
      for (int i = 0; i < 2; i++) {
        try (Engine e = Engine.start(m, EngineConfig.builder().numPages(8).kvCacheDtype(types[i]).build())) {
          ids[i] = e.submit(GenerationRequest.of(prompt, p), ev -> {}).result().join().choice().tokenIds();
        }
      }
      assertThat(ids[0]).hasSize(8).containsExactly(ids[1]);
    }
  }
}
