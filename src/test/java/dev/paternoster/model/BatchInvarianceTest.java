package dev.paternoster.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.TestModels;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A sequence's logits are bit-identical whatever else shares its batch and however its prompt was
 * split into chunks: the engine relies on it, and users expect temperature 0 to be reproducible.
 */
class BatchInvarianceTest {
  static final int PAGE = 16;

  @ParameterizedTest(name = "{0} {1} KV {2}")
  @CsvSource({"models/stories260K/stories260K.gguf, F16, LLAMACPP", "models/stories260K/stories260K.gguf, F32, LLAMACPP",
      "models/tiny15m/tiny15m-q8_0.gguf, F16, LLAMACPP", "models/tiny15m/tiny15m-q4_0.gguf, F16, LLAMACPP",
      "models/tiny15m/tiny15m-q8_0.gguf, F16, FAST", "models/tiny15m/tiny15m-q4_0.gguf, F32, FAST",
      "models/tiny15m/tiny15m-f16.gguf, F16, LLAMACPP", "models/tiny15m/tiny15m-f16.gguf, F32, LLAMACPP",
      "models/ktest/ktest-q4_k_m.gguf, F16, LLAMACPP", "models/ktest/ktest-q4_k_m.gguf, F32, LLAMACPP",
      "models/ktest/ktest-q5_k_m.gguf, F16, LLAMACPP", "models/ktest/ktest-q4_k_m.gguf, F16, FAST"})
  void logitsDoNotDependOnBatchNeighboursOrChunking(String path, KvCacheDtype dtype, Numerics numerics) {
    try (LlamaModel m = LlamaModel.load(TestModels.require(path), 64, dev.paternoster.tensor.Parallel.shared(), numerics)) {
      int vocab = m.config().vocabSize();
      SplittableRandom rnd = new SplittableRandom(7);
      int[] a = randomIds(rnd, 37, vocab);
      int[] b = randomIds(rnd, 20, vocab);
      int[] c = randomIds(rnd, 9, vocab);

      // A alone, whole prompt in one call
      float[] alone = new float[vocab];
      try (KvCache kv = m.newKvCache(8, PAGE, dtype)) {
        // A's prompt is its first 34 tokens (prompt rows 0..31 in llama.cpp's order, see Batch.promptRow),
        // the last 3 were generated
        m.forward(Batch.single(a, 0, new int[] {0, 1, 2}, 34), kv, alone);
      }

      // A in chunks of 5, each chunk sharing the step with other sequences' tokens
      float[] mixed = new float[3 * vocab];
      try (KvCache kv = m.newKvCache(12, PAGE, dtype)) {
        int[][] tables = {{5, 3, 7}, {0, 1}, {9}};
        int doneA = 0, doneB = 0, doneC = 0;
        float[] last = null;
        while (doneA < a.length) {
          int na = Math.min(5, a.length - doneA);
          int nb = Math.min(3, b.length - doneB);
          int nc = doneC < c.length ? 1 : 0;
          int n = na + nb + nc;
          int[] tok = new int[n], pos = new int[n], seq = new int[n];
          int i = 0;
          // interleave: B's tokens first, then A's chunk, then C's one token
          for (int k = 0; k < nb; k++, i++) { tok[i] = b[doneB + k]; pos[i] = doneB + k; seq[i] = 1; }
          int aStart = i;
          for (int k = 0; k < na; k++, i++) { tok[i] = a[doneA + k]; pos[i] = doneA + k; seq[i] = 0; }
          for (int k = 0; k < nc; k++, i++) { tok[i] = c[doneC]; pos[i] = doneC; seq[i] = 2; }
          int[] rows = n > 1 ? new int[] {aStart + na - 1, 0} : new int[] {aStart + na - 1};
          m.forward(new Batch(tok, pos, seq, tables, rows, new int[] {34, 13, 9}), kv, mixed);
          doneA += na;
          doneB += nb;
          doneC += nc;
          last = Arrays.copyOf(mixed, vocab);
        }
        assertThat(last).as("logits of A mixed with B and C, chunked").containsExactly(alone);
      }
    }
  }

  private static int[] randomIds(SplittableRandom rnd, int n, int vocab) {
    int[] ids = new int[n];
    ids[0] = 1;
    for (int i = 1; i < n; i++) ids[i] = 3 + rnd.nextInt(vocab - 3);
    return ids;
  }
}
