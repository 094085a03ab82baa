package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The K-quant kernels ({@link KQuantDot} through {@link Matmul}) against the scalar emulation of
 * llama.cpp ({@link ReferenceMatmul#llamaCpp}), bit for bit: row counts odd, even, multiples of 8
 * (Q4_K's repacked order) or not, several super-blocks and chunks, token counts of every tile.
 */
@Timeout(300)
class KQuantDotTest {
  static Parallel pool;

  @BeforeAll
  static void startPool() {
    pool = new Parallel(2);
  }

  @AfterAll
  static void stopPool() {
    pool.close();
  }

  /** Activations with extremes: large values (sums past 2^24 in a lane), a zero super-block, a lone value. */
  static float[] activations(int nTokens, int cols, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[nTokens * cols];
    for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * (i % 13 == 0 ? 20 : 1));
    if (cols >= 512) {
      for (int j = 0; j < 256; j++) x[j] = 0f; // token 0: a zero super-block
      x[300] = -3.5f;
    }
    return x;
  }

  /** Weights whose quants and scales reach their largest values (the exactness limits), and random ones. */
  static Weight weight(GGMLType t, int rows, int cols, long seed, boolean extreme) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) {
      v[i] = extreme ? (i % 2 == 0 ? 1f : (i % 7 == 0 ? -1f : 0.99f)) : (float) (rnd.nextGaussian() * (1 + i % 5));
    }
    return Quantize.weight("w", t, rows, cols, v);
  }

  static void assertExact(Weight w, float[] x, int nTokens) {
    float[] got = new float[nTokens * w.rows()], want = new float[nTokens * w.rows()];
    Matmul.matmul(w, x, nTokens, got, pool);
    ReferenceMatmul.llamaCpp(w, x, nTokens, want);
    for (int i = 0; i < got.length; i++) {
      if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) {
        throw new AssertionError(String.format("%s %dx%d, %d tokens: token %d row %d: got %s, llama.cpp %s",
            w.type(), w.rows(), w.cols(), nTokens, i / w.rows(), i % w.rows(), got[i], want[i]));
      }
    }
  }

  @ParameterizedTest
  @CsvSource({
      "Q6_K,1,256", "Q6_K,3,512", "Q6_K,7,1280", "Q6_K,16,256", "Q6_K,33,768",
      "Q5_K,1,256", "Q5_K,3,512", "Q5_K,7,1280", "Q5_K,16,256", "Q5_K,33,768",
      "Q4_K,1,256", "Q4_K,3,512", "Q4_K,7,1280", "Q4_K,8,256", "Q4_K,16,1280", "Q4_K,33,768", "Q4_K,40,512"})
  void matchesLlamaCppBitForBit(GGMLType t, int rows, int cols) {
    for (boolean extreme : new boolean[] {false, true}) {
      Weight w = weight(t, rows, cols, rows * 31L + cols, extreme);
      for (int n : new int[] {1, 2, 3, 5, 8, 17}) {
        assertExact(w, activations(n, cols, n), n);
      }
    }
  }

  @Test
  void aTokensResultDoesNotDependOnItsBatch() {
    for (GGMLType t : new GGMLType[] {GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K}) {
      Weight w = weight(t, 24, 768, 5, false);
      int n = 9;
      float[] x = activations(n, 768, 11);
      float[] all = new float[n * 24];
      Matmul.matmul(w, x, n, all, pool);
      for (int k = 0; k < n; k++) {
        float[] one = new float[24];
        Matmul.matmul(w, java.util.Arrays.copyOfRange(x, k * 768, (k + 1) * 768), 1, one, pool);
        assertThat(one).as("%s token %d", t, k).containsExactly(java.util.Arrays.copyOfRange(all, k * 24, (k + 1) * 24));
      }
    }
  }

  @Test
  void staysCloseToTheFloatProduct() {
    // the exact order is still a dot product: within quantization error of the double reference
    for (GGMLType t : new GGMLType[] {GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K}) {
      Weight w = weight(t, 9, 512, 3, false);
      float[] x = activations(2, 512, 4);
      float[] got = new float[18], ref = new float[18];
      Matmul.matmul(w, x, 2, got, pool);
      ReferenceMatmul.matmul(w, x, 2, ref);
      for (int i = 0; i < 18; i++) {
        float[] row = w.dequantizeRow(i % 9);
        double scale = 0;
        for (int j = 0; j < 512; j++) scale += Math.abs(row[j] * x[(i / 9) * 512 + j]);
        // activation rounding (8 bits per 256 values) moves a dot product by a small fraction of sum |w x|
        assertThat(got[i]).as("%s %d", t, i).isCloseTo(ref[i], org.assertj.core.data.Offset.offset((float) (0.02 * scale)));
      }
    }
  }

  @Test
  void promptRowsTakeTheGemmOrderOfRepackedQ4K() {
    // repacked Q4_K (rows a multiple of 8): prompt rows in llama.cpp's gemm chain, the others gemv;
    // other matrices ignore the flags. Mixed flags in one batch, every token bit for bit.
    for (int rows : new int[] {16, 19}) {
      Weight w = weight(GGMLType.Q4_K, rows, 768, rows, false);
      for (int n : new int[] {1, 2, 5, 9}) {
        float[] x = activations(n, 768, 100 + n);
        boolean[] prompt = new boolean[n];
        for (int t = 0; t < n; t++) prompt[t] = n == 1 || t % 3 != 1;
        Q8KActivations q = new Q8KActivations();
        q.quantize(x, 0, 768, n, 768, pool);
        float[] got = new float[n * rows], want = new float[n * rows], gemv = new float[n * rows];
        Matmul.matmul(w, q, prompt, got, 0, rows, pool);
        ReferenceMatmul.llamaCpp(w, x, n, prompt, want);
        assertThat(got).as("rows %d, %d tokens", rows, n).containsExactly(want);
        ReferenceMatmul.llamaCpp(w, x, n, null, gemv);
        if (rows % 8 == 0) assertThat(want).as("the gemm order differs somewhere").isNotEqualTo(gemv);
        else assertThat(want).as("not repacked: one order").containsExactly(gemv);
      }
    }
  }
}
