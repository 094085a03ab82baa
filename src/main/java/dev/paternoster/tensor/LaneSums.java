package dev.paternoster.tensor;

import static dev.paternoster.tensor.Lanes.F;
import static dev.paternoster.tensor.Lanes.L;

import jdk.incubator.vector.FloatVector;

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
  private static final FloatVector X0 = index(0, false), Y0 = index(0, true);
  private static final FloatVector X1 = index(1, false), Y1 = index(1, true);
  private static final FloatVector X2 = index(2, false), Y2 = index(2, true);
  private static final FloatVector X3 = L >= 16 ? index(3, false) : null, Y3 = L >= 16 ? index(3, true) : null;

  private static FloatVector index(int level, boolean second) {
    int g = L >> level, h = g / 2;
    float[] idx = new float[L];
    for (int j = 0; j < L; j++) {
      int fromQ = j < L / 2 ? 0 : L;
      int jj = j % (L / 2);
      idx[j] = fromQ + (jj / h) * g + jj % h + (second ? h : 0);
    }
    return FloatVector.fromArray(F, idx, 0);
  }

  /** One butterfly step: halves every group of p and q, p's groups first. */
  private static FloatVector combine(FloatVector p, FloatVector q, FloatVector x, FloatVector y) {
    return x.selectFrom(p, q).add(y.selectFrom(p, q));
  }

  private static FloatVector load(float[] acc, int a, int k, int count) {
    return k < count ? FloatVector.fromArray(F, acc, a + k * L) : FloatVector.zero(F);
  }

  /**
   * Writes to {@code sums[0 .. count)} the horizontal sums of the {@code count <= L}
   * accumulators {@code acc[a + k*L .. a + k*L + L)}.
   */
  static void reduce(float[] acc, int a, int count, float[] sums) {
    if (L == 16) {
      FloatVector c0 = combine(load(acc, a, 0, count), load(acc, a, 1, count), X0, Y0);
      FloatVector c1 = combine(load(acc, a, 2, count), load(acc, a, 3, count), X0, Y0);
      FloatVector c2 = combine(load(acc, a, 4, count), load(acc, a, 5, count), X0, Y0);
      FloatVector c3 = combine(load(acc, a, 6, count), load(acc, a, 7, count), X0, Y0);
      FloatVector c4 = combine(load(acc, a, 8, count), load(acc, a, 9, count), X0, Y0);
      FloatVector c5 = combine(load(acc, a, 10, count), load(acc, a, 11, count), X0, Y0);
      FloatVector c6 = combine(load(acc, a, 12, count), load(acc, a, 13, count), X0, Y0);
      FloatVector c7 = combine(load(acc, a, 14, count), load(acc, a, 15, count), X0, Y0);
      FloatVector e0 = combine(c0, c1, X1, Y1), e1 = combine(c2, c3, X1, Y1);
      FloatVector e2 = combine(c4, c5, X1, Y1), e3 = combine(c6, c7, X1, Y1);
      FloatVector f0 = combine(e0, e1, X2, Y2), f1 = combine(e2, e3, X2, Y2);
      combine(f0, f1, X3, Y3).intoArray(sums, 0);
    } else if (L == 8) {
      FloatVector c0 = combine(load(acc, a, 0, count), load(acc, a, 1, count), X0, Y0);
      FloatVector c1 = combine(load(acc, a, 2, count), load(acc, a, 3, count), X0, Y0);
      FloatVector c2 = combine(load(acc, a, 4, count), load(acc, a, 5, count), X0, Y0);
      FloatVector c3 = combine(load(acc, a, 6, count), load(acc, a, 7, count), X0, Y0);
      FloatVector e0 = combine(c0, c1, X1, Y1), e1 = combine(c2, c3, X1, Y1);
      combine(e0, e1, X2, Y2).intoArray(sums, 0);
    } else {
      for (int k = 0; k < count; k++) sums[k] = scalar(acc, a + k * L);
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
