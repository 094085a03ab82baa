package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(120)
class MatmulTest {
  static final int ROWS = 37;
  static Parallel pool;

  @BeforeAll
  static void startPool() {
    pool = new Parallel(2);
  }

  @AfterAll
  static void stopPool() {
    pool.close();
  }

  /** The smallest legal odd-ish row lengths: blocks of 32 or 256, or 97 for element types. */
  static int[] colsFor(GGMLType t) {
    return switch (t.blockSize) {
      case 1 -> new int[] {97, 16, 1};
      case 32 -> new int[] {32, 96};
      default -> new int[] {256, 768};
    };
  }

  static Weight randomWeight(GGMLType t, int rows, int cols, long seed) {
    Random rnd = new Random(seed);
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian() * (1 + (i % 7)) * 0.05f;
    return Quantize.weight("w", t, rows, cols, v);
  }

  static float[] randomActivations(int n, long seed) {
    Random rnd = new Random(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
    return x;
  }

  /**
   * Q8_0/Q4_0 and K-quant weights: bit for bit what llama.cpp computes ({@link ReferenceMatmul#llamaCpp}).
   * Other types: as {@link #assertCloseToFloat}.
   */
  static void assertClose(Weight w, float[] x, int nTokens, float[] got) {
    if (Matmul.quantizesActivations(w.type()) || Matmul.isKQuant(w.type())) {
      float[] want = new float[nTokens * w.rows()];
      ReferenceMatmul.llamaCpp(w, x, nTokens, want);
      assertThat(got).as("%s %dx%d, %d tokens, vs llama.cpp", w.type(), w.rows(), w.cols(), nTokens).containsExactly(want);
      return;
    }
    assertCloseToFloat(w, x, nTokens, got);
  }

  /** |got - ref| within 1e-4 of the sum of |w*x| (the scale float rounding error is relative to). */
  static void assertCloseToFloat(Weight w, float[] x, int nTokens, float[] got) {
    float[] ref = new float[nTokens * w.rows()];
    ReferenceMatmul.matmul(w, x, nTokens, ref);
    for (int t = 0; t < nTokens; t++) {
      for (int r = 0; r < w.rows(); r++) {
        float[] row = w.dequantizeRow(r);
        double mag = 0;
        for (int i = 0; i < w.cols(); i++) mag += Math.abs(row[i] * x[t * w.cols() + i]);
        assertThat((double) got[t * w.rows() + r])
            .as("%s %dx%d token %d row %d", w.type(), w.rows(), w.cols(), t, r)
            .isCloseTo(ref[t * w.rows() + r], org.assertj.core.data.Offset.offset(1e-4 * mag + 1e-6));
      }
    }
  }

  static GGMLType[] supported() {
    return Arrays.stream(GGMLType.values()).filter(t -> t.supported).toArray(GGMLType[]::new);
  }

  @ParameterizedTest
  @EnumSource(value = GGMLType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
  void matchesReference(GGMLType t) {
    for (int cols : colsFor(t)) {
      Weight w = randomWeight(t, ROWS, cols, cols);
      for (int nTokens : new int[] {1, 3, 8}) {
        float[] x = randomActivations(nTokens * cols, nTokens);
        float[] out = new float[nTokens * ROWS];
        Matmul.matmul(w, x, nTokens, out, pool);
        assertClose(w, x, nTokens, out);
        // the float kernels (--numerics fast) for every type
        Matmul.matmulFloat(w, x, nTokens, out, pool);
        assertCloseToFloat(w, x, nTokens, out);
      }
    }
  }

  /**
   * Batch invariance: a token's outputs are bit-identical whether it is computed alone or as
   * any member of a batch of any size, and whatever the thread count.
   */
  @ParameterizedTest
  @EnumSource(value = GGMLType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
  void batchInvariant(GGMLType t) {
    int cols = colsFor(t)[colsFor(t).length > 2 ? 0 : 1];
    Weight w = randomWeight(t, ROWS, cols, 7);
    int maxT = 64;
    float[] x = randomActivations(maxT * cols, 11);
    float[][] alone = new float[maxT][ROWS];
    try (Parallel single = new Parallel(1)) {
      for (int tok = 0; tok < maxT; tok++) {
        Matmul.matmul(w, x, tok * cols, cols, 1, alone[tok], 0, ROWS, single);
      }
    }
    for (int nTokens : new int[] {1, 2, 3, 5, 8, 17, 64}) {
      for (int first : new int[] {0, maxT - nTokens}) {
        float[] out = new float[nTokens * ROWS];
        Matmul.matmul(w, x, first * cols, cols, nTokens, out, 0, ROWS, pool);
        for (int i = 0; i < nTokens; i++) {
          float[] got = Arrays.copyOfRange(out, i * ROWS, (i + 1) * ROWS);
          assertThat(got).as("%s token %d of %d (batch starts at %d)", t, i, nTokens, first)
              .containsExactly(alone[first + i]);
        }
      }
    }
  }

  /**
   * The same for the float kernels (--numerics fast), whose single-token case decodes Q8_0/Q4_0
   * in registers ({@link RegisterRows}) rather than through the batch path's scratch rows.
   */
  @ParameterizedTest
  @EnumSource(value = GGMLType.class, names = {"F16", "Q8_0", "Q4_0", "Q4_K"})
  void floatKernelsBatchInvariant(GGMLType t) {
    assertFloatKernelsBatchInvariant(t, colsFor(t)[colsFor(t).length > 2 ? 0 : 1]);
  }

  /**
   * One token's Q8_0 rows are read in order up to {@link MatmulTask#IN_ORDER_ROW_BYTES} and from
   * far-apart runs beyond: both give the batch path's bits.
   */
  @Test
  void q8_0SingleTokenRowsInOrderAndFarApartMatchTheBatchPath() {
    int shortCols = 96, wideCols = (int) (MatmulTask.IN_ORDER_ROW_BYTES / 34 + 1) * 32;
    assertThat(shortCols / 32 * 34L).isLessThanOrEqualTo(MatmulTask.IN_ORDER_ROW_BYTES);
    assertThat(wideCols / 32 * 34L).isGreaterThan(MatmulTask.IN_ORDER_ROW_BYTES);
    // in order, the sums of up to IN_ORDER_GROUPS groups are taken together: two full calls and
    // a part one of an odd count of groups (one thread), and pieces of any size (two)
    int manyRows = (2 * MatmulTask.IN_ORDER_GROUPS + 3) * ROWS + 5;
    assertFloatKernelsBatchInvariant(GGMLType.Q8_0, shortCols, manyRows);
    assertFloatKernelsBatchInvariant(GGMLType.Q8_0, wideCols, manyRows);
  }

  private void assertFloatKernelsBatchInvariant(GGMLType t, int cols) {
    // several rows per run of a thread's spread single-token path, and a remainder
    assertFloatKernelsBatchInvariant(t, cols, 6 * ROWS + 5);
  }

  private void assertFloatKernelsBatchInvariant(GGMLType t, int cols, int rows) {
    Weight w = randomWeight(t, rows, cols, 13);
    int maxT = 2 * MatmulTask.TOKEN_CHUNK + 5; // passes over the rows in uneven token chunks
    float[] x = randomActivations(maxT * cols, 17);
    float[][] alone = new float[maxT][rows];
    try (Parallel single = new Parallel(1)) {
      for (int tok = 0; tok < maxT; tok++) {
        Matmul.matmulFloat(w, Arrays.copyOfRange(x, tok * cols, (tok + 1) * cols), 1, alone[tok], single);
      }
    }
    // 5 to FusedTiles.MAX_TOKENS tokens of Q8_0 and Q4_0: every tile of FusedTiles and their mixes
    for (int nTokens : new int[] {1, 2, 3, 4, 5, 9, 12, 16, 25, 31, FusedTiles.MAX_TOKENS, FusedTiles.MAX_TOKENS + 1, maxT}) {
      float[] out = new float[nTokens * rows];
      Matmul.matmulFloat(w, Arrays.copyOfRange(x, (maxT - nTokens) * cols, maxT * cols), nTokens, out, pool);
      for (int i = 0; i < nTokens; i++) {
        assertThat(Arrays.copyOfRange(out, i * rows, (i + 1) * rows)).as("%s token %d of %d", t, i, nTokens)
            .containsExactly(alone[maxT - nTokens + i]);
      }
    }
  }

  @Test
  void passesCoverEveryTokenOnceInChunksStartingOnWholeGroups() {
    for (int nt = 1; nt <= 700; nt++) {
      int passes = MatmulTask.passes(nt);
      assertThat(passes).as("passes for %d tokens", nt).isEqualTo((nt + MatmulTask.TOKEN_CHUNK - 1) / MatmulTask.TOKEN_CHUNK);
      assertThat(MatmulTask.passStart(nt, 0, passes)).isZero();
      assertThat(MatmulTask.passStart(nt, passes, passes)).isEqualTo(nt);
      for (int p = 0; p < passes; p++) {
        int t0 = MatmulTask.passStart(nt, p, passes), t1 = MatmulTask.passStart(nt, p + 1, passes);
        assertThat(t1 - t0).as("%d tokens, pass %d", nt, p).isBetween(1, MatmulTask.TOKEN_CHUNK);
        assertThat(t0 % MatmulTask.PASS_GROUP).as("%d tokens, start of pass %d", nt, p).isZero();
      }
    }
  }

  @Test
  void stridedOffsetsAndTheRestOfOutputUntouched() {
    Weight w = randomWeight(GGMLType.Q8_0, ROWS, 64, 3);
    int xStride = 70, outStride = 40, nTokens = 3;
    float[] x = randomActivations(5 + nTokens * xStride, 5);
    float[] out = new float[2 + nTokens * outStride];
    Arrays.fill(out, -7f);
    Matmul.matmul(w, x, 5, xStride, nTokens, out, 2, outStride, pool);
    for (int t = 0; t < nTokens; t++) {
      float[] xt = Arrays.copyOfRange(x, 5 + t * xStride, 5 + t * xStride + 64);
      float[] expect = new float[ROWS];
      Matmul.matmul(w, xt, 1, expect, pool);
      assertThat(Arrays.copyOfRange(out, 2 + t * outStride, 2 + t * outStride + ROWS)).containsExactly(expect);
      for (int r = ROWS; r < outStride && 2 + t * outStride + r < out.length; r++) {
        assertThat(out[2 + t * outStride + r]).isEqualTo(-7f);
      }
    }
    assertThat(out[0]).isEqualTo(-7f);
  }

  @Test
  void rejectsTooShortArrays() {
    Weight w = randomWeight(GGMLType.F32, 4, 8, 1);
    assertThatThrownBy(() -> Matmul.matmul(w, new float[15], 2, new float[8], pool))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> Matmul.matmul(w, new float[16], 2, new float[7], pool))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void unsupportedTypeIsNamed() {
    Weight w = new Weight("q2", GGMLType.Q2_K, 1, 256, java.lang.foreign.MemorySegment.ofArray(new byte[84]));
    assertThatThrownBy(() -> Matmul.matmul(w, new float[256], 1, new float[1], pool))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Q2_K");
  }
}
