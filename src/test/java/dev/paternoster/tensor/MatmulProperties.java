package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/** Random shapes, batches and placements: results match the reference (Q8_0/Q4_0: llama.cpp's bits) and are batch invariant. */
class MatmulProperties {
  private static final Parallel POOL = new Parallel(2);

  @AfterContainer
  static void stopPool() {
    POOL.close();
  }

  @Property(tries = 60)
  void q8_0MatchesReferenceAndEveryTokenEqualsItsSoloRun(
      @ForAll @IntRange(min = 1, max = 40) int rows,
      @ForAll @IntRange(min = 1, max = 40) int blocks,
      @ForAll @IntRange(min = 1, max = 11) int nTokens,
      @ForAll @IntRange(min = 0, max = 10) int lead,
      @ForAll long seed) {
    checkType(GGMLType.Q8_0, rows, 32 * blocks, nTokens, lead, seed);
  }

  @Property(tries = 60)
  void q4_0MatchesLlamaCppAndEveryTokenEqualsItsSoloRun(
      @ForAll @IntRange(min = 1, max = 40) int rows,
      @ForAll @IntRange(min = 1, max = 40) int blocks,
      @ForAll @IntRange(min = 1, max = 11) int nTokens,
      @ForAll @IntRange(min = 0, max = 10) int lead,
      @ForAll long seed) {
    checkType(GGMLType.Q4_0, rows, 32 * blocks, nTokens, lead, seed);
  }

  @Property(tries = 40)
  void f32AnyRowLength(
      @ForAll @IntRange(min = 1, max = 20) int rows,
      @ForAll @IntRange(min = 1, max = 1100) int cols,
      @ForAll @IntRange(min = 1, max = 7) int nTokens,
      @ForAll long seed) {
    checkType(GGMLType.F32, rows, cols, nTokens, 0, seed);
  }

  private static void checkType(GGMLType type, int rows, int cols, int nTokens, int lead, long seed) {
    Weight w = MatmulTest.randomWeight(type, rows, cols, seed);
    float[] x = MatmulTest.randomActivations((lead + nTokens) * cols, seed ^ 0x5DEECE66DL);
    float[] xs = Arrays.copyOfRange(x, lead * cols, x.length);
    float[] out = new float[nTokens * rows];
    Matmul.matmul(w, xs, nTokens, out, POOL);
    MatmulTest.assertClose(w, xs, nTokens, out);
    // the same tokens behind `lead` others, and each one alone
    float[] outLead = new float[(lead + nTokens) * rows];
    Matmul.matmul(w, x, lead + nTokens, outLead, POOL);
    assertThat(Arrays.copyOfRange(outLead, lead * rows, outLead.length)).containsExactly(out);
    for (int t = 0; t < nTokens; t++) {
      float[] solo = new float[rows];
      Matmul.matmul(w, xs, t * cols, cols, 1, solo, 0, rows, POOL);
      assertThat(solo).containsExactly(Arrays.copyOfRange(out, t * rows, (t + 1) * rows));
    }
  }
}
