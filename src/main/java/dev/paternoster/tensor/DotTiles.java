package dev.paternoster.tensor;

import static dev.paternoster.tensor.Lanes.F;
import static dev.paternoster.tensor.Lanes.L;
import static dev.paternoster.tensor.Lanes.NATIVE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Register-tiled dot products of decoded weight rows with token activations.
 *
 * <p>Every (row, token) pair owns one vector accumulator, updated as
 * {@code acc = fma(w[j..j+L), x[j..j+L), acc)} for consecutive chunks j: the same operations in
 * the same order whichever tile shape computes it. That is what makes a token's result
 * independent of its batch; the tiles only decide how many independent accumulator chains run
 * side by side and how often each loaded vector is reused.
 *
 * <p>Weights and activations are read from 64-byte aligned segments ({@link Workspace}): a
 * vector load then touches one cache line, not two. The weight rows lie a constant
 * {@link #WS} bytes apart, so C2 addresses all eight from one register (with a variable stride
 * it needed eight, ran out of registers and spilled an accumulator to the stack every chunk).
 *
 * <p>Accumulators live in {@code acc} between calls (one column block after another; the caller
 * zeroes them first); storing and reloading a vector is exact. {@code acc[(i * nt + t) * L ..]}
 * belongs to row i, token t.
 */
final class DotTiles {
  private DotTiles() {}

  /** Rows per full tile. */
  static final int ROWS = 8;
  /** Bytes between consecutive decoded weight rows: one {@link MatmulTask#BLOCK_COLS} block. */
  static final long WS = 4L * MatmulTask.BLOCK_COLS;
  /** Bytes per vector. */
  private static final long VB = 4L * L;

  /**
   * Adds the first {@code n} floats (n a multiple of L) of decoded rows {@code i < nr <= 8} of
   * {@code w} (row i at byte {@code i * WS}) times tokens {@code t < nt} of {@code x} (token t at
   * byte {@code xBase + t * xStride}) into the accumulators.
   */
  static void accumulate(int nr, int nt, MemorySegment w, MemorySegment x, long xBase, long xStride, int n, float[] acc) {
    int ra = nt * L;
    long nb = 4L * n;
    if (nr == ROWS) {
      int t = 0;
      for (; t + 3 <= nt; t += 3) tile8x3(w, 0, x, xBase + t * xStride, xStride, nb, acc, t * L, ra);
      if (nt - t == 2) {
        tile8x2(w, 0, x, xBase + t * xStride, xStride, nb, acc, t * L, ra);
      } else if (nt - t == 1) {
        tile8x1(w, 0, x, xBase + t * xStride, xStride, nb, acc, t * L, ra);
      }
    } else {
      for (int i = 0; i < nr; i++) {
        int t = 0;
        for (; t + 3 <= nt; t += 3) tile1x3(w, i * WS, x, xBase + t * xStride, xStride, nb, acc, i * ra + t * L, ra);
        for (; t < nt; t++) tile1x1(w, i * WS, x, xBase + t * xStride, xStride, nb, acc, i * ra + t * L, ra);
      }
    }
  }

  // The tiles are written out mechanically: aRT is the accumulator of row R and token T, vT the
  // activation chunk of token T, rR the weight chunk of row R. All vectors stay inside one method
  // (a vector passed to a method C2 does not inline is boxed).

  /** 8 rows × 3 tokens: 24 chains; per chunk 11 loads feed 24 FMAs, and each activation vector
   * loaded serves 8 rows (less traffic from L2 for large batches). */
  private static void tile8x3(MemorySegment w, long w0, MemorySegment x, long x0, long xs, long nb, float[] acc, int a, int ra) {
    long x1 = x0 + xs;
    long x2 = x1 + xs;
    FloatVector a00 = FloatVector.fromArray(F, acc, a + 0 * ra + 0 * L), a01 = FloatVector.fromArray(F, acc, a + 0 * ra + 1 * L), a02 = FloatVector.fromArray(F, acc, a + 0 * ra + 2 * L);
    FloatVector a10 = FloatVector.fromArray(F, acc, a + 1 * ra + 0 * L), a11 = FloatVector.fromArray(F, acc, a + 1 * ra + 1 * L), a12 = FloatVector.fromArray(F, acc, a + 1 * ra + 2 * L);
    FloatVector a20 = FloatVector.fromArray(F, acc, a + 2 * ra + 0 * L), a21 = FloatVector.fromArray(F, acc, a + 2 * ra + 1 * L), a22 = FloatVector.fromArray(F, acc, a + 2 * ra + 2 * L);
    FloatVector a30 = FloatVector.fromArray(F, acc, a + 3 * ra + 0 * L), a31 = FloatVector.fromArray(F, acc, a + 3 * ra + 1 * L), a32 = FloatVector.fromArray(F, acc, a + 3 * ra + 2 * L);
    FloatVector a40 = FloatVector.fromArray(F, acc, a + 4 * ra + 0 * L), a41 = FloatVector.fromArray(F, acc, a + 4 * ra + 1 * L), a42 = FloatVector.fromArray(F, acc, a + 4 * ra + 2 * L);
    FloatVector a50 = FloatVector.fromArray(F, acc, a + 5 * ra + 0 * L), a51 = FloatVector.fromArray(F, acc, a + 5 * ra + 1 * L), a52 = FloatVector.fromArray(F, acc, a + 5 * ra + 2 * L);
    FloatVector a60 = FloatVector.fromArray(F, acc, a + 6 * ra + 0 * L), a61 = FloatVector.fromArray(F, acc, a + 6 * ra + 1 * L), a62 = FloatVector.fromArray(F, acc, a + 6 * ra + 2 * L);
    FloatVector a70 = FloatVector.fromArray(F, acc, a + 7 * ra + 0 * L), a71 = FloatVector.fromArray(F, acc, a + 7 * ra + 1 * L), a72 = FloatVector.fromArray(F, acc, a + 7 * ra + 2 * L);
    for (long j = 0; j < nb; j += VB) {
      FloatVector v0 = FloatVector.fromMemorySegment(F, x, x0 + j, NATIVE);
      FloatVector v1 = FloatVector.fromMemorySegment(F, x, x1 + j, NATIVE);
      FloatVector v2 = FloatVector.fromMemorySegment(F, x, x2 + j, NATIVE);
      FloatVector r0 = FloatVector.fromMemorySegment(F, w, w0 + 0 * WS + j, NATIVE);
      a00 = r0.fma(v0, a00); a01 = r0.fma(v1, a01); a02 = r0.fma(v2, a02);
      FloatVector r1 = FloatVector.fromMemorySegment(F, w, w0 + 1 * WS + j, NATIVE);
      a10 = r1.fma(v0, a10); a11 = r1.fma(v1, a11); a12 = r1.fma(v2, a12);
      FloatVector r2 = FloatVector.fromMemorySegment(F, w, w0 + 2 * WS + j, NATIVE);
      a20 = r2.fma(v0, a20); a21 = r2.fma(v1, a21); a22 = r2.fma(v2, a22);
      FloatVector r3 = FloatVector.fromMemorySegment(F, w, w0 + 3 * WS + j, NATIVE);
      a30 = r3.fma(v0, a30); a31 = r3.fma(v1, a31); a32 = r3.fma(v2, a32);
      FloatVector r4 = FloatVector.fromMemorySegment(F, w, w0 + 4 * WS + j, NATIVE);
      a40 = r4.fma(v0, a40); a41 = r4.fma(v1, a41); a42 = r4.fma(v2, a42);
      FloatVector r5 = FloatVector.fromMemorySegment(F, w, w0 + 5 * WS + j, NATIVE);
      a50 = r5.fma(v0, a50); a51 = r5.fma(v1, a51); a52 = r5.fma(v2, a52);
      FloatVector r6 = FloatVector.fromMemorySegment(F, w, w0 + 6 * WS + j, NATIVE);
      a60 = r6.fma(v0, a60); a61 = r6.fma(v1, a61); a62 = r6.fma(v2, a62);
      FloatVector r7 = FloatVector.fromMemorySegment(F, w, w0 + 7 * WS + j, NATIVE);
      a70 = r7.fma(v0, a70); a71 = r7.fma(v1, a71); a72 = r7.fma(v2, a72);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L); a01.intoArray(acc, a + 0 * ra + 1 * L); a02.intoArray(acc, a + 0 * ra + 2 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L); a11.intoArray(acc, a + 1 * ra + 1 * L); a12.intoArray(acc, a + 1 * ra + 2 * L);
    a20.intoArray(acc, a + 2 * ra + 0 * L); a21.intoArray(acc, a + 2 * ra + 1 * L); a22.intoArray(acc, a + 2 * ra + 2 * L);
    a30.intoArray(acc, a + 3 * ra + 0 * L); a31.intoArray(acc, a + 3 * ra + 1 * L); a32.intoArray(acc, a + 3 * ra + 2 * L);
    a40.intoArray(acc, a + 4 * ra + 0 * L); a41.intoArray(acc, a + 4 * ra + 1 * L); a42.intoArray(acc, a + 4 * ra + 2 * L);
    a50.intoArray(acc, a + 5 * ra + 0 * L); a51.intoArray(acc, a + 5 * ra + 1 * L); a52.intoArray(acc, a + 5 * ra + 2 * L);
    a60.intoArray(acc, a + 6 * ra + 0 * L); a61.intoArray(acc, a + 6 * ra + 1 * L); a62.intoArray(acc, a + 6 * ra + 2 * L);
    a70.intoArray(acc, a + 7 * ra + 0 * L); a71.intoArray(acc, a + 7 * ra + 1 * L); a72.intoArray(acc, a + 7 * ra + 2 * L);
  }

  /** 8 rows × 2 tokens (a remainder of 2 tokens). */
  private static void tile8x2(MemorySegment w, long w0, MemorySegment x, long x0, long xs, long nb, float[] acc, int a, int ra) {
    long x1 = x0 + xs;
    FloatVector a00 = FloatVector.fromArray(F, acc, a + 0 * ra + 0 * L), a01 = FloatVector.fromArray(F, acc, a + 0 * ra + 1 * L);
    FloatVector a10 = FloatVector.fromArray(F, acc, a + 1 * ra + 0 * L), a11 = FloatVector.fromArray(F, acc, a + 1 * ra + 1 * L);
    FloatVector a20 = FloatVector.fromArray(F, acc, a + 2 * ra + 0 * L), a21 = FloatVector.fromArray(F, acc, a + 2 * ra + 1 * L);
    FloatVector a30 = FloatVector.fromArray(F, acc, a + 3 * ra + 0 * L), a31 = FloatVector.fromArray(F, acc, a + 3 * ra + 1 * L);
    FloatVector a40 = FloatVector.fromArray(F, acc, a + 4 * ra + 0 * L), a41 = FloatVector.fromArray(F, acc, a + 4 * ra + 1 * L);
    FloatVector a50 = FloatVector.fromArray(F, acc, a + 5 * ra + 0 * L), a51 = FloatVector.fromArray(F, acc, a + 5 * ra + 1 * L);
    FloatVector a60 = FloatVector.fromArray(F, acc, a + 6 * ra + 0 * L), a61 = FloatVector.fromArray(F, acc, a + 6 * ra + 1 * L);
    FloatVector a70 = FloatVector.fromArray(F, acc, a + 7 * ra + 0 * L), a71 = FloatVector.fromArray(F, acc, a + 7 * ra + 1 * L);
    for (long j = 0; j < nb; j += VB) {
      FloatVector v0 = FloatVector.fromMemorySegment(F, x, x0 + j, NATIVE);
      FloatVector v1 = FloatVector.fromMemorySegment(F, x, x1 + j, NATIVE);
      FloatVector r0 = FloatVector.fromMemorySegment(F, w, w0 + 0 * WS + j, NATIVE);
      a00 = r0.fma(v0, a00); a01 = r0.fma(v1, a01);
      FloatVector r1 = FloatVector.fromMemorySegment(F, w, w0 + 1 * WS + j, NATIVE);
      a10 = r1.fma(v0, a10); a11 = r1.fma(v1, a11);
      FloatVector r2 = FloatVector.fromMemorySegment(F, w, w0 + 2 * WS + j, NATIVE);
      a20 = r2.fma(v0, a20); a21 = r2.fma(v1, a21);
      FloatVector r3 = FloatVector.fromMemorySegment(F, w, w0 + 3 * WS + j, NATIVE);
      a30 = r3.fma(v0, a30); a31 = r3.fma(v1, a31);
      FloatVector r4 = FloatVector.fromMemorySegment(F, w, w0 + 4 * WS + j, NATIVE);
      a40 = r4.fma(v0, a40); a41 = r4.fma(v1, a41);
      FloatVector r5 = FloatVector.fromMemorySegment(F, w, w0 + 5 * WS + j, NATIVE);
      a50 = r5.fma(v0, a50); a51 = r5.fma(v1, a51);
      FloatVector r6 = FloatVector.fromMemorySegment(F, w, w0 + 6 * WS + j, NATIVE);
      a60 = r6.fma(v0, a60); a61 = r6.fma(v1, a61);
      FloatVector r7 = FloatVector.fromMemorySegment(F, w, w0 + 7 * WS + j, NATIVE);
      a70 = r7.fma(v0, a70); a71 = r7.fma(v1, a71);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L); a01.intoArray(acc, a + 0 * ra + 1 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L); a11.intoArray(acc, a + 1 * ra + 1 * L);
    a20.intoArray(acc, a + 2 * ra + 0 * L); a21.intoArray(acc, a + 2 * ra + 1 * L);
    a30.intoArray(acc, a + 3 * ra + 0 * L); a31.intoArray(acc, a + 3 * ra + 1 * L);
    a40.intoArray(acc, a + 4 * ra + 0 * L); a41.intoArray(acc, a + 4 * ra + 1 * L);
    a50.intoArray(acc, a + 5 * ra + 0 * L); a51.intoArray(acc, a + 5 * ra + 1 * L);
    a60.intoArray(acc, a + 6 * ra + 0 * L); a61.intoArray(acc, a + 6 * ra + 1 * L);
    a70.intoArray(acc, a + 7 * ra + 0 * L); a71.intoArray(acc, a + 7 * ra + 1 * L);
  }

  /** 8 rows × 1 token: 8 independent chains (single-token decoding, bound by decoding and memory). */
  private static void tile8x1(MemorySegment w, long w0, MemorySegment x, long x0, long xs, long nb, float[] acc, int a, int ra) {
    FloatVector a00 = FloatVector.fromArray(F, acc, a + 0 * ra + 0 * L);
    FloatVector a10 = FloatVector.fromArray(F, acc, a + 1 * ra + 0 * L);
    FloatVector a20 = FloatVector.fromArray(F, acc, a + 2 * ra + 0 * L);
    FloatVector a30 = FloatVector.fromArray(F, acc, a + 3 * ra + 0 * L);
    FloatVector a40 = FloatVector.fromArray(F, acc, a + 4 * ra + 0 * L);
    FloatVector a50 = FloatVector.fromArray(F, acc, a + 5 * ra + 0 * L);
    FloatVector a60 = FloatVector.fromArray(F, acc, a + 6 * ra + 0 * L);
    FloatVector a70 = FloatVector.fromArray(F, acc, a + 7 * ra + 0 * L);
    for (long j = 0; j < nb; j += VB) {
      FloatVector v0 = FloatVector.fromMemorySegment(F, x, x0 + j, NATIVE);
      FloatVector r0 = FloatVector.fromMemorySegment(F, w, w0 + 0 * WS + j, NATIVE);
      a00 = r0.fma(v0, a00);
      FloatVector r1 = FloatVector.fromMemorySegment(F, w, w0 + 1 * WS + j, NATIVE);
      a10 = r1.fma(v0, a10);
      FloatVector r2 = FloatVector.fromMemorySegment(F, w, w0 + 2 * WS + j, NATIVE);
      a20 = r2.fma(v0, a20);
      FloatVector r3 = FloatVector.fromMemorySegment(F, w, w0 + 3 * WS + j, NATIVE);
      a30 = r3.fma(v0, a30);
      FloatVector r4 = FloatVector.fromMemorySegment(F, w, w0 + 4 * WS + j, NATIVE);
      a40 = r4.fma(v0, a40);
      FloatVector r5 = FloatVector.fromMemorySegment(F, w, w0 + 5 * WS + j, NATIVE);
      a50 = r5.fma(v0, a50);
      FloatVector r6 = FloatVector.fromMemorySegment(F, w, w0 + 6 * WS + j, NATIVE);
      a60 = r6.fma(v0, a60);
      FloatVector r7 = FloatVector.fromMemorySegment(F, w, w0 + 7 * WS + j, NATIVE);
      a70 = r7.fma(v0, a70);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L);
    a10.intoArray(acc, a + 1 * ra + 0 * L);
    a20.intoArray(acc, a + 2 * ra + 0 * L);
    a30.intoArray(acc, a + 3 * ra + 0 * L);
    a40.intoArray(acc, a + 4 * ra + 0 * L);
    a50.intoArray(acc, a + 5 * ra + 0 * L);
    a60.intoArray(acc, a + 6 * ra + 0 * L);
    a70.intoArray(acc, a + 7 * ra + 0 * L);
  }

  /** 1 row × 3 tokens (the last rows of a thread's range). */
  private static void tile1x3(MemorySegment w, long w0, MemorySegment x, long x0, long xs, long nb, float[] acc, int a, int ra) {
    long x1 = x0 + xs;
    long x2 = x1 + xs;
    FloatVector a00 = FloatVector.fromArray(F, acc, a + 0 * ra + 0 * L), a01 = FloatVector.fromArray(F, acc, a + 0 * ra + 1 * L), a02 = FloatVector.fromArray(F, acc, a + 0 * ra + 2 * L);
    for (long j = 0; j < nb; j += VB) {
      FloatVector v0 = FloatVector.fromMemorySegment(F, x, x0 + j, NATIVE);
      FloatVector v1 = FloatVector.fromMemorySegment(F, x, x1 + j, NATIVE);
      FloatVector v2 = FloatVector.fromMemorySegment(F, x, x2 + j, NATIVE);
      FloatVector r0 = FloatVector.fromMemorySegment(F, w, w0 + 0 * WS + j, NATIVE);
      a00 = r0.fma(v0, a00); a01 = r0.fma(v1, a01); a02 = r0.fma(v2, a02);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L); a01.intoArray(acc, a + 0 * ra + 1 * L); a02.intoArray(acc, a + 0 * ra + 2 * L);
  }

  /** 1 row × 1 token. */
  private static void tile1x1(MemorySegment w, long w0, MemorySegment x, long x0, long xs, long nb, float[] acc, int a, int ra) {
    FloatVector a00 = FloatVector.fromArray(F, acc, a + 0 * ra + 0 * L);
    for (long j = 0; j < nb; j += VB) {
      FloatVector v0 = FloatVector.fromMemorySegment(F, x, x0 + j, NATIVE);
      FloatVector r0 = FloatVector.fromMemorySegment(F, w, w0 + 0 * WS + j, NATIVE);
      a00 = r0.fma(v0, a00);
    }
    a00.intoArray(acc, a + 0 * ra + 0 * L);
  }
}
