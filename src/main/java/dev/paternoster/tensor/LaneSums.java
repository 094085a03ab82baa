package dev.paternoster.tensor;

import static dev.paternoster.tensor.Lanes.F;
import static dev.paternoster.tensor.Lanes.I;
import static dev.paternoster.tensor.Lanes.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * Horizontal sums of vector accumulators, all with one fixed addition tree per accumulator:
 * lane i += lane i + h for h = L/2, L/4, ..., 1. The vector form reduces L accumulators at once
 * with a transposing butterfly (two-vector lane selects), the scalar form one at a time; both
 * perform exactly the same float additions, so a result never depends on which accumulators
 * happened to be reduced together (batch invariance).
 */
final class LaneSums {
  private LaneSums() {}

  // Index vectors for each butterfly level k (group size g = L >> k): output lane j takes, from
  // the concatenation (p, q), the first (X) and second (Y) half of its source group.
  // Int lanes: a float index vector would be converted to ints at every select.
  private static final IntVector X0 = index(0, false), Y0 = index(0, true);
  private static final IntVector X1 = index(1, false), Y1 = index(1, true);
  private static final IntVector X2 = index(2, false), Y2 = index(2, true);
  private static final IntVector X3 = L >= 16 ? index(3, false) : null, Y3 = L >= 16 ? index(3, true) : null;

  private static IntVector index(int level, boolean second) {
    int g = L >> level, h = g / 2;
    int[] idx = new int[L];
    for (int j = 0; j < L; j++) {
      int fromQ = j < L / 2 ? 0 : L;
      int jj = j % (L / 2);
      idx[j] = fromQ + (jj / h) * g + jj % h + (second ? h : 0);
    }
    return IntVector.fromArray(I, idx, 0);
  }

  private static final FloatVector ZERO = FloatVector.zero(F);

  /**
   * Writes to {@code sums[0 .. count)} the horizontal sums of the {@code count <= L}
   * accumulators {@code acc[a + k*L .. a + k*L + L)}. Each butterfly step halves every lane group
   * of two vectors p, q (p's groups first): X selects the first half of each group, Y the second.
   * Written out in one method, as all vector code here (no vector crosses a method boundary).
   */
  static void reduce(float[] acc, int a, int count, float[] sums) {
    if (L == 16) {
      FloatVector v0 = 0 < count ? FloatVector.fromArray(F, acc, a + 0 * L) : ZERO;
      FloatVector v1 = 1 < count ? FloatVector.fromArray(F, acc, a + 1 * L) : ZERO;
      FloatVector v2 = 2 < count ? FloatVector.fromArray(F, acc, a + 2 * L) : ZERO;
      FloatVector v3 = 3 < count ? FloatVector.fromArray(F, acc, a + 3 * L) : ZERO;
      FloatVector v4 = 4 < count ? FloatVector.fromArray(F, acc, a + 4 * L) : ZERO;
      FloatVector v5 = 5 < count ? FloatVector.fromArray(F, acc, a + 5 * L) : ZERO;
      FloatVector v6 = 6 < count ? FloatVector.fromArray(F, acc, a + 6 * L) : ZERO;
      FloatVector v7 = 7 < count ? FloatVector.fromArray(F, acc, a + 7 * L) : ZERO;
      FloatVector v8 = 8 < count ? FloatVector.fromArray(F, acc, a + 8 * L) : ZERO;
      FloatVector v9 = 9 < count ? FloatVector.fromArray(F, acc, a + 9 * L) : ZERO;
      FloatVector v10 = 10 < count ? FloatVector.fromArray(F, acc, a + 10 * L) : ZERO;
      FloatVector v11 = 11 < count ? FloatVector.fromArray(F, acc, a + 11 * L) : ZERO;
      FloatVector v12 = 12 < count ? FloatVector.fromArray(F, acc, a + 12 * L) : ZERO;
      FloatVector v13 = 13 < count ? FloatVector.fromArray(F, acc, a + 13 * L) : ZERO;
      FloatVector v14 = 14 < count ? FloatVector.fromArray(F, acc, a + 14 * L) : ZERO;
      FloatVector v15 = 15 < count ? FloatVector.fromArray(F, acc, a + 15 * L) : ZERO;
      FloatVector c0 = X0.selectFrom(v0.reinterpretAsInts(), v1.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v0.reinterpretAsInts(), v1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c1 = X0.selectFrom(v2.reinterpretAsInts(), v3.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v2.reinterpretAsInts(), v3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c2 = X0.selectFrom(v4.reinterpretAsInts(), v5.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v4.reinterpretAsInts(), v5.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c3 = X0.selectFrom(v6.reinterpretAsInts(), v7.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v6.reinterpretAsInts(), v7.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c4 = X0.selectFrom(v8.reinterpretAsInts(), v9.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v8.reinterpretAsInts(), v9.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c5 = X0.selectFrom(v10.reinterpretAsInts(), v11.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v10.reinterpretAsInts(), v11.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c6 = X0.selectFrom(v12.reinterpretAsInts(), v13.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v12.reinterpretAsInts(), v13.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c7 = X0.selectFrom(v14.reinterpretAsInts(), v15.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v14.reinterpretAsInts(), v15.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e0 = X1.selectFrom(c0.reinterpretAsInts(), c1.reinterpretAsInts()).reinterpretAsFloats().add(Y1.selectFrom(c0.reinterpretAsInts(), c1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e1 = X1.selectFrom(c2.reinterpretAsInts(), c3.reinterpretAsInts()).reinterpretAsFloats().add(Y1.selectFrom(c2.reinterpretAsInts(), c3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e2 = X1.selectFrom(c4.reinterpretAsInts(), c5.reinterpretAsInts()).reinterpretAsFloats().add(Y1.selectFrom(c4.reinterpretAsInts(), c5.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e3 = X1.selectFrom(c6.reinterpretAsInts(), c7.reinterpretAsInts()).reinterpretAsFloats().add(Y1.selectFrom(c6.reinterpretAsInts(), c7.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector f0 = X2.selectFrom(e0.reinterpretAsInts(), e1.reinterpretAsInts()).reinterpretAsFloats().add(Y2.selectFrom(e0.reinterpretAsInts(), e1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector f1 = X2.selectFrom(e2.reinterpretAsInts(), e3.reinterpretAsInts()).reinterpretAsFloats().add(Y2.selectFrom(e2.reinterpretAsInts(), e3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector g0 = X3.selectFrom(f0.reinterpretAsInts(), f1.reinterpretAsInts()).reinterpretAsFloats().add(Y3.selectFrom(f0.reinterpretAsInts(), f1.reinterpretAsInts()).reinterpretAsFloats());
      g0.intoArray(sums, 0);
    } else if (L == 8) {
      FloatVector v0 = 0 < count ? FloatVector.fromArray(F, acc, a + 0 * L) : ZERO;
      FloatVector v1 = 1 < count ? FloatVector.fromArray(F, acc, a + 1 * L) : ZERO;
      FloatVector v2 = 2 < count ? FloatVector.fromArray(F, acc, a + 2 * L) : ZERO;
      FloatVector v3 = 3 < count ? FloatVector.fromArray(F, acc, a + 3 * L) : ZERO;
      FloatVector v4 = 4 < count ? FloatVector.fromArray(F, acc, a + 4 * L) : ZERO;
      FloatVector v5 = 5 < count ? FloatVector.fromArray(F, acc, a + 5 * L) : ZERO;
      FloatVector v6 = 6 < count ? FloatVector.fromArray(F, acc, a + 6 * L) : ZERO;
      FloatVector v7 = 7 < count ? FloatVector.fromArray(F, acc, a + 7 * L) : ZERO;
      FloatVector c0 = X0.selectFrom(v0.reinterpretAsInts(), v1.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v0.reinterpretAsInts(), v1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c1 = X0.selectFrom(v2.reinterpretAsInts(), v3.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v2.reinterpretAsInts(), v3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c2 = X0.selectFrom(v4.reinterpretAsInts(), v5.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v4.reinterpretAsInts(), v5.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c3 = X0.selectFrom(v6.reinterpretAsInts(), v7.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v6.reinterpretAsInts(), v7.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e0 = X1.selectFrom(c0.reinterpretAsInts(), c1.reinterpretAsInts()).reinterpretAsFloats().add(Y1.selectFrom(c0.reinterpretAsInts(), c1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e1 = X1.selectFrom(c2.reinterpretAsInts(), c3.reinterpretAsInts()).reinterpretAsFloats().add(Y1.selectFrom(c2.reinterpretAsInts(), c3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector f0 = X2.selectFrom(e0.reinterpretAsInts(), e1.reinterpretAsInts()).reinterpretAsFloats().add(Y2.selectFrom(e0.reinterpretAsInts(), e1.reinterpretAsInts()).reinterpretAsFloats());
      f0.intoArray(sums, 0);
    } else {
      for (int k = 0; k < count; k++) sums[k] = scalar(acc, a + k * L);
    }
  }

  /** Lanes 8..15 moved to 0..7 (for the second token's store in {@link #reduceRows}). */
  private static final jdk.incubator.vector.VectorShuffle<Float> HIGH_TO_LOW =
      L == 16 ? jdk.incubator.vector.VectorShuffle.fromOp(F, j -> (j + 8) % 16) : null;
  private static final jdk.incubator.vector.VectorMask<Float> LOW_HALF =
      L == 16 ? jdk.incubator.vector.VectorMask.fromLong(F, 0xFFL) : null;

  /**
   * For L = 16: the sums of 8 rows' accumulators for two tokens, stored straight to the outputs:
   * row i of token 0 is {@code acc[a + i*ra ..]}, of token 1 {@code acc[a + i*ra + L ..]}; their
   * sums go to {@code out[o0 + i]} and {@code out[o1 + i]}. The same tree as {@link #reduce} (so
   * the same bits), without passing the sums through a scratch array. The tree is written out again
   * rather than shared with {@link #reduce}: one method taking both load patterns and both outputs
   * ran 20x slower (4864x896 x 128 tokens, one thread: 38 -> 2 GMAC/s), C2 no longer compiling it
   * into vector code.
   *
   * <p>A masked store whose full vector would pass the end of {@code out} takes the Vector API's
   * lane-by-lane checking path (7 % of a 32-token matmul's time, for the last token's last
   * rows); there the sums go through {@code spill} (L floats) instead.
   */
  static void reduceRows(float[] acc, int a, int ra, float[] out, int o0, int o1, float[] spill) {
    FloatVector v0 = FloatVector.fromArray(F, acc, a + 0 * ra);
    FloatVector v1 = FloatVector.fromArray(F, acc, a + 1 * ra);
    FloatVector v2 = FloatVector.fromArray(F, acc, a + 2 * ra);
    FloatVector v3 = FloatVector.fromArray(F, acc, a + 3 * ra);
    FloatVector v4 = FloatVector.fromArray(F, acc, a + 4 * ra);
    FloatVector v5 = FloatVector.fromArray(F, acc, a + 5 * ra);
    FloatVector v6 = FloatVector.fromArray(F, acc, a + 6 * ra);
    FloatVector v7 = FloatVector.fromArray(F, acc, a + 7 * ra);
    FloatVector v8 = FloatVector.fromArray(F, acc, a + 0 * ra + L);
    FloatVector v9 = FloatVector.fromArray(F, acc, a + 1 * ra + L);
    FloatVector v10 = FloatVector.fromArray(F, acc, a + 2 * ra + L);
    FloatVector v11 = FloatVector.fromArray(F, acc, a + 3 * ra + L);
    FloatVector v12 = FloatVector.fromArray(F, acc, a + 4 * ra + L);
    FloatVector v13 = FloatVector.fromArray(F, acc, a + 5 * ra + L);
    FloatVector v14 = FloatVector.fromArray(F, acc, a + 6 * ra + L);
    FloatVector v15 = FloatVector.fromArray(F, acc, a + 7 * ra + L);
    FloatVector c0 = X0.selectFrom(v0.reinterpretAsInts(), v1.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v0.reinterpretAsInts(), v1.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector c1 = X0.selectFrom(v2.reinterpretAsInts(), v3.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v2.reinterpretAsInts(), v3.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector c2 = X0.selectFrom(v4.reinterpretAsInts(), v5.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v4.reinterpretAsInts(), v5.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector c3 = X0.selectFrom(v6.reinterpretAsInts(), v7.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v6.reinterpretAsInts(), v7.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector c4 = X0.selectFrom(v8.reinterpretAsInts(), v9.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v8.reinterpretAsInts(), v9.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector c5 = X0.selectFrom(v10.reinterpretAsInts(), v11.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v10.reinterpretAsInts(), v11.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector c6 = X0.selectFrom(v12.reinterpretAsInts(), v13.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v12.reinterpretAsInts(), v13.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector c7 = X0.selectFrom(v14.reinterpretAsInts(), v15.reinterpretAsInts()).reinterpretAsFloats().add(Y0.selectFrom(v14.reinterpretAsInts(), v15.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector e0 = X1.selectFrom(c0.reinterpretAsInts(), c1.reinterpretAsInts()).reinterpretAsFloats().add(Y1.selectFrom(c0.reinterpretAsInts(), c1.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector e1 = X1.selectFrom(c2.reinterpretAsInts(), c3.reinterpretAsInts()).reinterpretAsFloats().add(Y1.selectFrom(c2.reinterpretAsInts(), c3.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector e2 = X1.selectFrom(c4.reinterpretAsInts(), c5.reinterpretAsInts()).reinterpretAsFloats().add(Y1.selectFrom(c4.reinterpretAsInts(), c5.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector e3 = X1.selectFrom(c6.reinterpretAsInts(), c7.reinterpretAsInts()).reinterpretAsFloats().add(Y1.selectFrom(c6.reinterpretAsInts(), c7.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector f0 = X2.selectFrom(e0.reinterpretAsInts(), e1.reinterpretAsInts()).reinterpretAsFloats().add(Y2.selectFrom(e0.reinterpretAsInts(), e1.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector f1 = X2.selectFrom(e2.reinterpretAsInts(), e3.reinterpretAsInts()).reinterpretAsFloats().add(Y2.selectFrom(e2.reinterpretAsInts(), e3.reinterpretAsInts()).reinterpretAsFloats());
    FloatVector g0 = X3.selectFrom(f0.reinterpretAsInts(), f1.reinterpretAsInts()).reinterpretAsFloats().add(Y3.selectFrom(f0.reinterpretAsInts(), f1.reinterpretAsInts()).reinterpretAsFloats());
    if (o0 <= out.length - L && o1 <= out.length - L) {
      g0.intoArray(out, o0, LOW_HALF);
      g0.rearrange(HIGH_TO_LOW).intoArray(out, o1, LOW_HALF);
    } else {
      g0.intoArray(spill, 0);
      System.arraycopy(spill, 0, out, o0, L / 2);
      System.arraycopy(spill, L / 2, out, o1, L / 2);
    }
  }

  /** The same tree for one accumulator, in scalar code (overwrites it). */
  static float scalar(float[] acc, int a) {
    for (int h = L / 2; h >= 1; h >>= 1) {
      for (int i = 0; i < h; i++) acc[a + i] = acc[a + i] + acc[a + i + h];
    }
    return acc[a];
  }
}
