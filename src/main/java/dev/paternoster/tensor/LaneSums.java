package dev.paternoster.tensor;

import static dev.paternoster.tensor.Lanes.F;
import static dev.paternoster.tensor.Lanes.I;
import static dev.paternoster.tensor.Lanes.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Horizontal sums of vector accumulators, all with one fixed addition tree per accumulator:
 * lane i += lane i + h for h = L/2, L/4, ..., 1. The vector form reduces L accumulators at once
 * with a transposing butterfly (blends and two-vector lane selects), the scalar form one at a
 * time; both perform exactly the same float additions, so a result never depends on which
 * accumulators happened to be reduced together (batch invariance).
 */
final class LaneSums {
  private LaneSums() {}

  // Butterfly level k (k = 0, 1, ...) pairs lanes h = L >> (k + 1) apart. Of two vectors p, q,
  // lanes with bit h clear keep p's lane i plus p's lane i + h, lanes with bit h set q's lane i
  // plus q's lane i - h: one blend (U) and one two-vector select (Z) per pair of vectors, where
  // selecting both halves took two selects, both on the one shuffle port. After the last level,
  // accumulator k's sum is in lane bitreverse(k); NATURAL puts it in lane k.
  // Int lanes for the selects: a float index vector would be converted to ints at every select.
  private static final VectorMask<Float> U0 = upper(0), U1 = upper(1), U2 = upper(2), U3 = L >= 16 ? upper(3) : null;
  private static final IntVector Z0 = partner(0), Z1 = partner(1), Z2 = partner(2), Z3 = L >= 16 ? partner(3) : null;
  private static final VectorShuffle<Float> NATURAL = VectorShuffle.fromOp(F, LaneSums::bitReverse);

  private static VectorMask<Float> upper(int level) {
    int h = L >> (level + 1);
    long bits = 0;
    for (int i = 0; i < L; i++) if ((i & h) != 0) bits |= 1L << i;
    return VectorMask.fromLong(F, bits);
  }

  private static IntVector partner(int level) {
    int h = L >> (level + 1);
    int[] idx = new int[L];
    for (int i = 0; i < L; i++) idx[i] = (i & h) == 0 ? i + h : L + i - h;
    return IntVector.fromArray(I, idx, 0);
  }

  private static int bitReverse(int lane) {
    int r = 0;
    for (int bit = 1; bit < L; bit <<= 1) r = (r << 1) | ((lane & bit) != 0 ? 1 : 0);
    return r;
  }

  private static final FloatVector ZERO = FloatVector.zero(F);

  /**
   * Writes to {@code sums[0 .. count)} the horizontal sums of the {@code count <= L}
   * accumulators {@code acc[a + k*L .. a + k*L + L)}, through the butterfly described at
   * {@link #U0}. Written out in one method, as all vector code here (no vector crosses a method boundary).
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
      FloatVector c0 = v0.blend(v1, U0).add(Z0.selectFrom(v0.reinterpretAsInts(), v1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c1 = v2.blend(v3, U0).add(Z0.selectFrom(v2.reinterpretAsInts(), v3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c2 = v4.blend(v5, U0).add(Z0.selectFrom(v4.reinterpretAsInts(), v5.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c3 = v6.blend(v7, U0).add(Z0.selectFrom(v6.reinterpretAsInts(), v7.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c4 = v8.blend(v9, U0).add(Z0.selectFrom(v8.reinterpretAsInts(), v9.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c5 = v10.blend(v11, U0).add(Z0.selectFrom(v10.reinterpretAsInts(), v11.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c6 = v12.blend(v13, U0).add(Z0.selectFrom(v12.reinterpretAsInts(), v13.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c7 = v14.blend(v15, U0).add(Z0.selectFrom(v14.reinterpretAsInts(), v15.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e0 = c0.blend(c1, U1).add(Z1.selectFrom(c0.reinterpretAsInts(), c1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e1 = c2.blend(c3, U1).add(Z1.selectFrom(c2.reinterpretAsInts(), c3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e2 = c4.blend(c5, U1).add(Z1.selectFrom(c4.reinterpretAsInts(), c5.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e3 = c6.blend(c7, U1).add(Z1.selectFrom(c6.reinterpretAsInts(), c7.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector f0 = e0.blend(e1, U2).add(Z2.selectFrom(e0.reinterpretAsInts(), e1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector f1 = e2.blend(e3, U2).add(Z2.selectFrom(e2.reinterpretAsInts(), e3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector g0 = f0.blend(f1, U3).add(Z3.selectFrom(f0.reinterpretAsInts(), f1.reinterpretAsInts()).reinterpretAsFloats());
      g0.rearrange(NATURAL).intoArray(sums, 0);
    } else if (L == 8) {
      FloatVector v0 = 0 < count ? FloatVector.fromArray(F, acc, a + 0 * L) : ZERO;
      FloatVector v1 = 1 < count ? FloatVector.fromArray(F, acc, a + 1 * L) : ZERO;
      FloatVector v2 = 2 < count ? FloatVector.fromArray(F, acc, a + 2 * L) : ZERO;
      FloatVector v3 = 3 < count ? FloatVector.fromArray(F, acc, a + 3 * L) : ZERO;
      FloatVector v4 = 4 < count ? FloatVector.fromArray(F, acc, a + 4 * L) : ZERO;
      FloatVector v5 = 5 < count ? FloatVector.fromArray(F, acc, a + 5 * L) : ZERO;
      FloatVector v6 = 6 < count ? FloatVector.fromArray(F, acc, a + 6 * L) : ZERO;
      FloatVector v7 = 7 < count ? FloatVector.fromArray(F, acc, a + 7 * L) : ZERO;
      FloatVector c0 = v0.blend(v1, U0).add(Z0.selectFrom(v0.reinterpretAsInts(), v1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c1 = v2.blend(v3, U0).add(Z0.selectFrom(v2.reinterpretAsInts(), v3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c2 = v4.blend(v5, U0).add(Z0.selectFrom(v4.reinterpretAsInts(), v5.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c3 = v6.blend(v7, U0).add(Z0.selectFrom(v6.reinterpretAsInts(), v7.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e0 = c0.blend(c1, U1).add(Z1.selectFrom(c0.reinterpretAsInts(), c1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e1 = c2.blend(c3, U1).add(Z1.selectFrom(c2.reinterpretAsInts(), c3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector f0 = e0.blend(e1, U2).add(Z2.selectFrom(e0.reinterpretAsInts(), e1.reinterpretAsInts()).reinterpretAsFloats());
      f0.rearrange(NATURAL).intoArray(sums, 0);
    } else {
      for (int k = 0; k < count; k++) sums[k] = scalar(acc, a + k * L);
    }
  }

  /** {@link #NATURAL}'s lanes 8..15 in lanes 0..7 (the second token's store in {@link #reduceGroup}). */
  private static final VectorShuffle<Float> HIGH_TO_LOW =
      L == 16 ? VectorShuffle.fromOp(F, j -> bitReverse((j + 8) % 16)) : null;

  /**
   * For L = 16: the sums of all accumulators of a group of 8 rows and {@code nt} tokens (row i,
   * token t at {@code acc[(i * nt + t) * L ..]}), stored to {@code out[o + t * outStride + i]}.
   * The tree of {@link #reduce} (the same additions, so the same bits), two tokens per pass: of
   * 16 accumulators, four butterfly levels leave the 8 rows' sums of the first token in lanes
   * 0..7 and of the second in lanes 8..15 (bit-reversed; {@link #NATURAL} and
   * {@link #HIGH_TO_LOW} put them in order). Each token's sums leave in one unmasked 256-bit store,
   * which needs no room past the group's last row; an odd last token is paired with itself.
   *
   * <p>One call per group, with the loop inside: the masks and lane indices are then loaded once
   * per group, and the bounds of the loads checked once per loop. Called once per pair of tokens,
   * those fixed costs took more time than the 45 vector operations of the tree (29 ns against
   * 10 ns per 16 accumulators, hot in cache, on a Zen 4 core); it made 18 % of a 48-token
   * matmul of 4864x896.
   *
   * <p>The tree is written out again rather than shared with {@link #reduce}: one method taking
   * both load patterns and both outputs ran 20x slower (4864x896 x 128 tokens, one thread: 38 ->
   * 2 GMAC/s), C2 no longer compiling it into vector code.
   */
  static void reduceGroup(float[] acc, int nt, float[] out, int o, int outStride) {
    int ra = nt * L;
    for (int t = 0; t < nt; t += 2) {
      int t1 = Math.min(t + 1, nt - 1); // an odd last token pairs with itself
      int a0 = t * L, a1 = t1 * L;
      FloatVector v0 = FloatVector.fromArray(F, acc, a0 + 0 * ra);
      FloatVector v1 = FloatVector.fromArray(F, acc, a0 + 1 * ra);
      FloatVector v2 = FloatVector.fromArray(F, acc, a0 + 2 * ra);
      FloatVector v3 = FloatVector.fromArray(F, acc, a0 + 3 * ra);
      FloatVector v4 = FloatVector.fromArray(F, acc, a0 + 4 * ra);
      FloatVector v5 = FloatVector.fromArray(F, acc, a0 + 5 * ra);
      FloatVector v6 = FloatVector.fromArray(F, acc, a0 + 6 * ra);
      FloatVector v7 = FloatVector.fromArray(F, acc, a0 + 7 * ra);
      FloatVector v8 = FloatVector.fromArray(F, acc, a1 + 0 * ra);
      FloatVector v9 = FloatVector.fromArray(F, acc, a1 + 1 * ra);
      FloatVector v10 = FloatVector.fromArray(F, acc, a1 + 2 * ra);
      FloatVector v11 = FloatVector.fromArray(F, acc, a1 + 3 * ra);
      FloatVector v12 = FloatVector.fromArray(F, acc, a1 + 4 * ra);
      FloatVector v13 = FloatVector.fromArray(F, acc, a1 + 5 * ra);
      FloatVector v14 = FloatVector.fromArray(F, acc, a1 + 6 * ra);
      FloatVector v15 = FloatVector.fromArray(F, acc, a1 + 7 * ra);
      FloatVector c0 = v0.blend(v1, U0).add(Z0.selectFrom(v0.reinterpretAsInts(), v1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c1 = v2.blend(v3, U0).add(Z0.selectFrom(v2.reinterpretAsInts(), v3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c2 = v4.blend(v5, U0).add(Z0.selectFrom(v4.reinterpretAsInts(), v5.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c3 = v6.blend(v7, U0).add(Z0.selectFrom(v6.reinterpretAsInts(), v7.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c4 = v8.blend(v9, U0).add(Z0.selectFrom(v8.reinterpretAsInts(), v9.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c5 = v10.blend(v11, U0).add(Z0.selectFrom(v10.reinterpretAsInts(), v11.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c6 = v12.blend(v13, U0).add(Z0.selectFrom(v12.reinterpretAsInts(), v13.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector c7 = v14.blend(v15, U0).add(Z0.selectFrom(v14.reinterpretAsInts(), v15.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e0 = c0.blend(c1, U1).add(Z1.selectFrom(c0.reinterpretAsInts(), c1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e1 = c2.blend(c3, U1).add(Z1.selectFrom(c2.reinterpretAsInts(), c3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e2 = c4.blend(c5, U1).add(Z1.selectFrom(c4.reinterpretAsInts(), c5.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector e3 = c6.blend(c7, U1).add(Z1.selectFrom(c6.reinterpretAsInts(), c7.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector f0 = e0.blend(e1, U2).add(Z2.selectFrom(e0.reinterpretAsInts(), e1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector f1 = e2.blend(e3, U2).add(Z2.selectFrom(e2.reinterpretAsInts(), e3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector g0 = f0.blend(f1, U3).add(Z3.selectFrom(f0.reinterpretAsInts(), f1.reinterpretAsInts()).reinterpretAsFloats());
      int o0 = o + t * outStride;
      g0.rearrange(NATURAL).reinterpretShape(HALF, 0).reinterpretAsFloats().intoArray(out, o0);
      g0.rearrange(HIGH_TO_LOW).reinterpretShape(HALF, 0).reinterpretAsFloats().intoArray(out, o0 + (t1 - t) * outStride);
    }
  }

  /** Eight floats: one token's sums of a group of rows, stored by {@link #reduceGroup}. */
  private static final VectorSpecies<Float> HALF = FloatVector.SPECIES_256;

  /** The same tree for one accumulator, in scalar code (overwrites it). */
  static float scalar(float[] acc, int a) {
    for (int h = L / 2; h >= 1; h >>= 1) {
      for (int i = 0; i < h; i++) acc[a + i] = acc[a + i] + acc[a + i + h];
    }
    return acc[a];
  }
}
