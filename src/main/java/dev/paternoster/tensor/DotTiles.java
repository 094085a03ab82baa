package dev.paternoster.tensor;

import static dev.paternoster.tensor.Lanes.F;
import static dev.paternoster.tensor.Lanes.L;

import jdk.incubator.vector.FloatVector;

/**
 * Register-tiled dot products of decoded weight rows with token activations.
 *
 * <p>Every (row, token) pair owns one vector accumulator, updated as
 * {@code acc = fma(w[j..j+L), x[j..j+L), acc)} for consecutive chunks j: the same operations in
 * the same order whichever tile shape computes it (4x4, 4x1, 1x4, 1x1). That is what makes a
 * token's result independent of its batch; the tiles only decide how many independent
 * accumulator chains run side by side and how often each loaded vector is reused.
 *
 * <p>Accumulators live in {@code acc} between calls (one column block after another); storing and
 * reloading a vector is exact. {@code acc[a + (i * nt + t) * L ..]} belongs to row i, token t.
 */
final class DotTiles {
  private DotTiles() {}

  /**
   * Adds chunks {@code [0, n)} (n a multiple of L) of rows {@code w[i*wStride ..]} (i < nr) times
   * tokens {@code x[xBase + t*xStride ..]} (t < nt) into the accumulators; {@code fresh} starts
   * them from zero instead of loading them.
   */
  static void accumulate(int nr, int nt, float[] w, int wStride, float[] x, int xBase, int xStride,
      int n, float[] acc, boolean fresh) {
    int rowAcc = nt * L;
    if (nr == 4) {
      int t = 0;
      for (; t + 4 <= nt; t += 4) {
        tile4x4(w, wStride, x, xBase + t * xStride, xStride, n, acc, t * L, rowAcc, fresh);
      }
      for (; t < nt; t++) {
        tile4x1(w, wStride, x, xBase + t * xStride, n, acc, t * L, rowAcc, fresh);
      }
    } else {
      for (int i = 0; i < nr; i++) {
        int t = 0;
        for (; t + 4 <= nt; t += 4) {
          tile1x4(w, i * wStride, x, xBase + t * xStride, xStride, n, acc, i * rowAcc + t * L, fresh);
        }
        for (; t < nt; t++) {
          tile1x1(w, i * wStride, x, xBase + t * xStride, n, acc, i * rowAcc + t * L, fresh);
        }
      }
    }
  }

  private static FloatVector load(float[] acc, int off, boolean fresh) {
    return fresh ? FloatVector.zero(F) : FloatVector.fromArray(F, acc, off);
  }

  /** Rows 0..3 (at w[k*ws]) × 4 tokens (x at x0 + t*xs): 16 chains, 8 loads per 16 FMAs. */
  private static void tile4x4(float[] w, int ws, float[] x, int x0, int xs, int n,
      float[] acc, int a, int ra, boolean fresh) {
    int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
    int w1 = ws, w2 = 2 * ws, w3 = 3 * ws;
    int b = a + ra, c = b + ra, d = c + ra;
    FloatVector a0 = load(acc, a, fresh), a1 = load(acc, a + L, fresh), a2 = load(acc, a + 2 * L, fresh), a3 = load(acc, a + 3 * L, fresh);
    FloatVector b0 = load(acc, b, fresh), b1 = load(acc, b + L, fresh), b2 = load(acc, b + 2 * L, fresh), b3 = load(acc, b + 3 * L, fresh);
    FloatVector c0 = load(acc, c, fresh), c1 = load(acc, c + L, fresh), c2 = load(acc, c + 2 * L, fresh), c3 = load(acc, c + 3 * L, fresh);
    FloatVector d0 = load(acc, d, fresh), d1 = load(acc, d + L, fresh), d2 = load(acc, d + 2 * L, fresh), d3 = load(acc, d + 3 * L, fresh);
    for (int j = 0; j < n; j += L) {
      FloatVector v0 = FloatVector.fromArray(F, x, x0 + j);
      FloatVector v1 = FloatVector.fromArray(F, x, x1 + j);
      FloatVector v2 = FloatVector.fromArray(F, x, x2 + j);
      FloatVector v3 = FloatVector.fromArray(F, x, x3 + j);
      FloatVector r = FloatVector.fromArray(F, w, j);
      a0 = r.fma(v0, a0); a1 = r.fma(v1, a1); a2 = r.fma(v2, a2); a3 = r.fma(v3, a3);
      r = FloatVector.fromArray(F, w, w1 + j);
      b0 = r.fma(v0, b0); b1 = r.fma(v1, b1); b2 = r.fma(v2, b2); b3 = r.fma(v3, b3);
      r = FloatVector.fromArray(F, w, w2 + j);
      c0 = r.fma(v0, c0); c1 = r.fma(v1, c1); c2 = r.fma(v2, c2); c3 = r.fma(v3, c3);
      r = FloatVector.fromArray(F, w, w3 + j);
      d0 = r.fma(v0, d0); d1 = r.fma(v1, d1); d2 = r.fma(v2, d2); d3 = r.fma(v3, d3);
    }
    a0.intoArray(acc, a); a1.intoArray(acc, a + L); a2.intoArray(acc, a + 2 * L); a3.intoArray(acc, a + 3 * L);
    b0.intoArray(acc, b); b1.intoArray(acc, b + L); b2.intoArray(acc, b + 2 * L); b3.intoArray(acc, b + 3 * L);
    c0.intoArray(acc, c); c1.intoArray(acc, c + L); c2.intoArray(acc, c + 2 * L); c3.intoArray(acc, c + 3 * L);
    d0.intoArray(acc, d); d1.intoArray(acc, d + L); d2.intoArray(acc, d + 2 * L); d3.intoArray(acc, d + 3 * L);
  }

  /** Rows 0..3 × one token: 4 chains (single-token decoding, where memory bandwidth is the limit anyway). */
  private static void tile4x1(float[] w, int ws, float[] x, int x0, int n,
      float[] acc, int a, int ra, boolean fresh) {
    int w1 = ws, w2 = 2 * ws, w3 = 3 * ws;
    FloatVector a0 = load(acc, a, fresh), b0 = load(acc, a + ra, fresh);
    FloatVector c0 = load(acc, a + 2 * ra, fresh), d0 = load(acc, a + 3 * ra, fresh);
    for (int j = 0; j < n; j += L) {
      FloatVector v = FloatVector.fromArray(F, x, x0 + j);
      a0 = FloatVector.fromArray(F, w, j).fma(v, a0);
      b0 = FloatVector.fromArray(F, w, w1 + j).fma(v, b0);
      c0 = FloatVector.fromArray(F, w, w2 + j).fma(v, c0);
      d0 = FloatVector.fromArray(F, w, w3 + j).fma(v, d0);
    }
    a0.intoArray(acc, a); b0.intoArray(acc, a + ra); c0.intoArray(acc, a + 2 * ra); d0.intoArray(acc, a + 3 * ra);
  }

  /** One row × 4 tokens (the last rows of a thread's range). */
  private static void tile1x4(float[] w, int w0, float[] x, int x0, int xs, int n,
      float[] acc, int a, boolean fresh) {
    int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
    FloatVector a0 = load(acc, a, fresh), a1 = load(acc, a + L, fresh), a2 = load(acc, a + 2 * L, fresh), a3 = load(acc, a + 3 * L, fresh);
    for (int j = 0; j < n; j += L) {
      FloatVector r = FloatVector.fromArray(F, w, w0 + j);
      a0 = r.fma(FloatVector.fromArray(F, x, x0 + j), a0);
      a1 = r.fma(FloatVector.fromArray(F, x, x1 + j), a1);
      a2 = r.fma(FloatVector.fromArray(F, x, x2 + j), a2);
      a3 = r.fma(FloatVector.fromArray(F, x, x3 + j), a3);
    }
    a0.intoArray(acc, a); a1.intoArray(acc, a + L); a2.intoArray(acc, a + 2 * L); a3.intoArray(acc, a + 3 * L);
  }

  private static void tile1x1(float[] w, int w0, float[] x, int x0, int n, float[] acc, int a, boolean fresh) {
    FloatVector a0 = load(acc, a, fresh);
    for (int j = 0; j < n; j += L) {
      a0 = FloatVector.fromArray(F, w, w0 + j).fma(FloatVector.fromArray(F, x, x0 + j), a0);
    }
    a0.intoArray(acc, a);
  }

  /**
   * The final horizontal sum of one accumulator, as a fixed pairwise tree: lane i += lane i + h
   * for h = L/2, L/4, ..., 1. (Overwrites the accumulator.)
   */
  static float laneSum(float[] acc, int a) {
    for (int h = L / 2; h >= 1; h >>= 1) {
      for (int i = 0; i < h; i++) acc[a + i] += acc[a + i + h];
    }
    return acc[a];
  }
}
