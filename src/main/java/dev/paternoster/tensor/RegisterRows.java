package dev.paternoster.tensor;

import static dev.paternoster.tensor.Lanes.B;
import static dev.paternoster.tensor.Lanes.F;
import static dev.paternoster.tensor.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The float kernels' case of one to four tokens for Q8_0 and Q4_0, with the
 * weights decoded straight into registers: each weight vector is decoded exactly as
 * {@link BlockDecoders} decodes it and multiplied into its (row, token) accumulator exactly as
 * {@link DotTiles}' tiles do, chunk after chunk in ascending order. The results are therefore the
 * same bits as the decode-then-multiply path (the batch path), without writing the decoded rows
 * out and reading them back: with so few tokens per weight that write and read are most of the
 * work (two tokens through the tiles took as long as two single-token calls).
 */
final class RegisterRows {
  private RegisterRows() {}

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /** Whether {@link #dot8} handles {@code nt} tokens of type {@code t} (and the lane count allows it). */
  static boolean handles(GGMLType t, int nt) {
    return Lanes.VECTOR_DECODE && (t == GGMLType.Q8_0 || t == GGMLType.Q4_0) && nt <= 4;
  }

  /**
   * The rows at byte offsets {@code row0 + i*rowStride} (i < 8) of type {@code t} times the
   * {@code nt} tokens {@code x[xo + k*xStride ..][0 .. cols)}: the lane accumulator of row i and
   * token k goes to {@code acc[(i*nt + k)*L ..]}, as the tiles leave it. The stride may be any
   * multiple of the row size (see {@code MatmulTask}).
   */
  static void dot8(GGMLType t, int nt, MemorySegment data, long row0, long rowStride, float[] x, int xo, int xStride, int cols, float[] acc) {
    // calls of at most eight accumulators: larger methods are too much for C1 (it gives up, and
    // until C2 compiles them the vectors run interpreted, a hundred times slower)
    int rowsPerCall = nt <= 2 ? 4 : 2;
    for (int i = 0; i < 8; i += rowsPerCall) {
      long r = row0 + i * rowStride;
      int a = i * nt * L;
      if (t == GGMLType.Q4_0) {
        if (nt == 1) q4_0(data, r, rowStride, x, xo, cols, acc, a);
        else if (nt == 2) q4_0x2(data, r, rowStride, x, xo, xStride, cols, acc, a);
        else if (nt == 3) q4_0x3(data, r, rowStride, x, xo, xStride, cols, acc, a);
        else q4_0x4(data, r, rowStride, x, xo, xStride, cols, acc, a);
      } else if (nt == 1) q8_0(data, r, rowStride, x, xo, cols, acc, a);
      else if (nt == 2) q8_0x2(data, r, rowStride, x, xo, xStride, cols, acc, a);
      else if (nt == 3) q8_0x3(data, r, rowStride, x, xo, xStride, cols, acc, a);
      else q8_0x4(data, r, rowStride, x, xo, xStride, cols, acc, a);
    }
  }

  /**
   * One token times the {@code n} consecutive Q8_0 rows from byte {@code row0} ({@code rowBytes}
   * each), one row after another: row i's lane accumulator goes to {@code acc[a0 + i*aStep ..]}. Each row
   * is the same single accumulator chain as in {@link #dot8}, so the same bits; the rows are read
   * as one sequential stream instead of several interleaved ones (see
   * {@code MatmulTask.IN_ORDER_ROW_BYTES} for when that is faster).
   */
  static void q8_0InOrder(MemorySegment data, long row0, long rowBytes, int n, float[] x, int xo, int cols, float[] acc, int a0, int aStep) {
    for (int i = 0; i < n; i++) {
      long o = row0 + i * rowBytes;
      FloatVector a = FloatVector.zero(F);
      for (int j = 0; j < cols; j += 32) {
        float d = Dequant.f16(data, o);
        for (int c = 0; c < 32; c += L) {
          FloatVector v = FloatVector.fromArray(F, x, xo + j + c);
          a = ((FloatVector) ByteVector.fromMemorySegment(B, data, o + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d).fma(v, a);
        }
        o += 34;
      }
      a.intoArray(acc, a0 + i * aStep);
    }
  }

  // Written out per row, as the tiles are: vectors never cross a method boundary.

  /**
   * {@link #q8_0} for L = 16, the block's two chunks written out instead of an inner loop of two
   * turns. The same operations in the same order, so the same bits.
   */
  private static void q8_0Wide(MemorySegment data, long row0, long rowStride, float[] x, int xo, int cols, float[] acc, int ac) {
    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
    long o0 = row0 + 0 * rowStride, o1 = row0 + 1 * rowStride, o2 = row0 + 2 * rowStride, o3 = row0 + 3 * rowStride;
    for (int j = 0; j < cols; j += 32) {
      float d0 = Dequant.f16(data, o0), d1 = Dequant.f16(data, o1), d2 = Dequant.f16(data, o2), d3 = Dequant.f16(data, o3);
      FloatVector lo = FloatVector.fromArray(F, x, xo + j), hi = FloatVector.fromArray(F, x, xo + j + 16);
      a0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(lo, a0);
      a1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(lo, a1);
      a2 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o2 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(lo, a2);
      a3 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o3 + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(lo, a3);
      a0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(hi, a0);
      a1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(hi, a1);
      a2 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o2 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(hi, a2);
      a3 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o3 + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(hi, a3);
      o0 += 34; o1 += 34; o2 += 34; o3 += 34;
    }
    a0.intoArray(acc, ac + 0 * L);
    a1.intoArray(acc, ac + 1 * L);
    a2.intoArray(acc, ac + 2 * L);
    a3.intoArray(acc, ac + 3 * L);
  }

  private static void q8_0(MemorySegment data, long row0, long rowStride, float[] x, int xo, int cols, float[] acc, int ac) {
    if (L == 16) {
      q8_0Wide(data, row0, rowStride, x, xo, cols, acc, ac);
      return;
    }
    FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
    long o0 = row0 + 0 * rowStride, o1 = row0 + 1 * rowStride, o2 = row0 + 2 * rowStride, o3 = row0 + 3 * rowStride;
    for (int j = 0; j < cols; j += 32) {
      float d0 = Dequant.f16(data, o0), d1 = Dequant.f16(data, o1), d2 = Dequant.f16(data, o2), d3 = Dequant.f16(data, o3);
      for (int c = 0; c < 32; c += L) {
        FloatVector v = FloatVector.fromArray(F, x, xo + j + c);
        a0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(v, a0);
        a1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(v, a1);
        a2 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o2 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(v, a2);
        a3 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o3 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(v, a3);
      }
      o0 += 34; o1 += 34; o2 += 34; o3 += 34;
    }
    a0.intoArray(acc, ac + 0 * L);
    a1.intoArray(acc, ac + 1 * L);
    a2.intoArray(acc, ac + 2 * L);
    a3.intoArray(acc, ac + 3 * L);
  }

  /** Q8_0, 4 rows x 2 tokens: aRT is the accumulator of row R and token T. */
  private static void q8_0x2(MemorySegment data, long row0, long rowStride, float[] x, int xo, int xs, int cols, float[] acc, int ac) {
    FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    long o0 = row0 + 0 * rowStride, o1 = row0 + 1 * rowStride, o2 = row0 + 2 * rowStride, o3 = row0 + 3 * rowStride;
    for (int j = 0; j < cols; j += 32) {
      float d0 = Dequant.f16(data, o0), d1 = Dequant.f16(data, o1), d2 = Dequant.f16(data, o2), d3 = Dequant.f16(data, o3);
      for (int c = 0; c < 32; c += L) {
        FloatVector v0 = FloatVector.fromArray(F, x, xo + 0 * xs + j + c);
        FloatVector v1 = FloatVector.fromArray(F, x, xo + 1 * xs + j + c);
        FloatVector w0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
        a00 = w0.fma(v0, a00);
        a01 = w0.fma(v1, a01);
        FloatVector w1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
        a10 = w1.fma(v0, a10);
        a11 = w1.fma(v1, a11);
        FloatVector w2 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o2 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d2);
        a20 = w2.fma(v0, a20);
        a21 = w2.fma(v1, a21);
        FloatVector w3 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o3 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d3);
        a30 = w3.fma(v0, a30);
        a31 = w3.fma(v1, a31);
      }
      o0 += 34; o1 += 34; o2 += 34; o3 += 34;
    }
    a00.intoArray(acc, ac + 0 * L);
    a01.intoArray(acc, ac + 1 * L);
    a10.intoArray(acc, ac + 2 * L);
    a11.intoArray(acc, ac + 3 * L);
    a20.intoArray(acc, ac + 4 * L);
    a21.intoArray(acc, ac + 5 * L);
    a30.intoArray(acc, ac + 6 * L);
    a31.intoArray(acc, ac + 7 * L);
  }

  /** Q8_0, 2 rows x 3 tokens: aRT is the accumulator of row R and token T. */
  private static void q8_0x3(MemorySegment data, long row0, long rowStride, float[] x, int xo, int xs, int cols, float[] acc, int ac) {
    FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
    long o0 = row0 + 0 * rowStride, o1 = row0 + 1 * rowStride;
    for (int j = 0; j < cols; j += 32) {
      float d0 = Dequant.f16(data, o0), d1 = Dequant.f16(data, o1);
      for (int c = 0; c < 32; c += L) {
        FloatVector v0 = FloatVector.fromArray(F, x, xo + 0 * xs + j + c);
        FloatVector v1 = FloatVector.fromArray(F, x, xo + 1 * xs + j + c);
        FloatVector v2 = FloatVector.fromArray(F, x, xo + 2 * xs + j + c);
        FloatVector w0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
        a00 = w0.fma(v0, a00);
        a01 = w0.fma(v1, a01);
        a02 = w0.fma(v2, a02);
        FloatVector w1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
        a10 = w1.fma(v0, a10);
        a11 = w1.fma(v1, a11);
        a12 = w1.fma(v2, a12);
      }
      o0 += 34; o1 += 34;
    }
    a00.intoArray(acc, ac + 0 * L);
    a01.intoArray(acc, ac + 1 * L);
    a02.intoArray(acc, ac + 2 * L);
    a10.intoArray(acc, ac + 3 * L);
    a11.intoArray(acc, ac + 4 * L);
    a12.intoArray(acc, ac + 5 * L);
  }

  /** Q8_0, 2 rows x 4 tokens: aRT is the accumulator of row R and token T. */
  private static void q8_0x4(MemorySegment data, long row0, long rowStride, float[] x, int xo, int xs, int cols, float[] acc, int ac) {
    FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    long o0 = row0 + 0 * rowStride, o1 = row0 + 1 * rowStride;
    for (int j = 0; j < cols; j += 32) {
      float d0 = Dequant.f16(data, o0), d1 = Dequant.f16(data, o1);
      for (int c = 0; c < 32; c += L) {
        FloatVector v0 = FloatVector.fromArray(F, x, xo + 0 * xs + j + c);
        FloatVector v1 = FloatVector.fromArray(F, x, xo + 1 * xs + j + c);
        FloatVector v2 = FloatVector.fromArray(F, x, xo + 2 * xs + j + c);
        FloatVector v3 = FloatVector.fromArray(F, x, xo + 3 * xs + j + c);
        FloatVector w0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
        a00 = w0.fma(v0, a00);
        a01 = w0.fma(v1, a01);
        a02 = w0.fma(v2, a02);
        a03 = w0.fma(v3, a03);
        FloatVector w1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
        a10 = w1.fma(v0, a10);
        a11 = w1.fma(v1, a11);
        a12 = w1.fma(v2, a12);
        a13 = w1.fma(v3, a13);
      }
      o0 += 34; o1 += 34;
    }
    a00.intoArray(acc, ac + 0 * L);
    a01.intoArray(acc, ac + 1 * L);
    a02.intoArray(acc, ac + 2 * L);
    a03.intoArray(acc, ac + 3 * L);
    a10.intoArray(acc, ac + 4 * L);
    a11.intoArray(acc, ac + 5 * L);
    a12.intoArray(acc, ac + 6 * L);
    a13.intoArray(acc, ac + 7 * L);
  }

  /**
   * {@link #q4_0} for L = 16: a block's 16 bytes are loaded once, and both nibbles are cut out
   * and shifted to {@code q - 8} on the 16-byte vector (the high ones by a 4-bit shift of its
   * ints), before one widening each to 16 floats. The byte work is on 128-bit registers, where
   * cutting the nibbles out of 512-bit int vectors took six wide operations per 16 weights instead
   * of four: {@code MatmulBenchmark Q4_0 tokens=1 shape=4864x896,896x4864 numerics=fast} best times
   * 143 / 135 us against 155 / 150. The same values (q - 8 is exact in a byte and in a float),
   * scaled and added in the same order, so the same bits.
   */
  private static void q4_0Wide(MemorySegment data, long row0, long rowStride, float[] x, int xo, int cols, float[] acc, int ac) {
    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
    long o0 = row0 + 0 * rowStride, o1 = row0 + 1 * rowStride, o2 = row0 + 2 * rowStride, o3 = row0 + 3 * rowStride;
    for (int j = 0; j < cols; j += 32) {
      float d0 = Dequant.f16(data, o0), d1 = Dequant.f16(data, o1), d2 = Dequant.f16(data, o2), d3 = Dequant.f16(data, o3);
      FloatVector lo = FloatVector.fromArray(F, x, xo + j), hi = FloatVector.fromArray(F, x, xo + j + 16);
      ByteVector q0 = ByteVector.fromMemorySegment(B, data, o0 + 2, LE);
      ByteVector q1 = ByteVector.fromMemorySegment(B, data, o1 + 2, LE);
      ByteVector q2 = ByteVector.fromMemorySegment(B, data, o2 + 2, LE);
      ByteVector q3 = ByteVector.fromMemorySegment(B, data, o3 + 2, LE);
      a0 = ((FloatVector) q0.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(lo, a0);
      a1 = ((FloatVector) q1.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(lo, a1);
      a2 = ((FloatVector) q2.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(lo, a2);
      a3 = ((FloatVector) q3.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(lo, a3);
      a0 = ((FloatVector) q0.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(hi, a0);
      a1 = ((FloatVector) q1.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(hi, a1);
      a2 = ((FloatVector) q2.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(hi, a2);
      a3 = ((FloatVector) q3.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(hi, a3);
      o0 += 18; o1 += 18; o2 += 18; o3 += 18;
    }
    a0.intoArray(acc, ac + 0 * L);
    a1.intoArray(acc, ac + 1 * L);
    a2.intoArray(acc, ac + 2 * L);
    a3.intoArray(acc, ac + 3 * L);
  }

  /**
   * Q4_0: element c < 16 of a block is the low nibble of byte c, element c + 16 its high nibble;
   * the low chunks come first, as in the decoded row. With fewer than 16 lanes the bytes are
   * loaded again for the high chunks (they are in L1, and one load per chunk keeps the register
   * count down); with 16, {@link #q4_0Wide} loads them once.
   */
  private static void q4_0(MemorySegment data, long row0, long rowStride, float[] x, int xo, int cols, float[] acc, int ac) {
    if (L == 16) {
      q4_0Wide(data, row0, rowStride, x, xo, cols, acc, ac);
      return;
    }
    FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
    long o0 = row0 + 0 * rowStride, o1 = row0 + 1 * rowStride, o2 = row0 + 2 * rowStride, o3 = row0 + 3 * rowStride;
    for (int j = 0; j < cols; j += 32) {
      float d0 = Dequant.f16(data, o0), d1 = Dequant.f16(data, o1), d2 = Dequant.f16(data, o2), d3 = Dequant.f16(data, o3);
      for (int c = 0; c < 16; c += L) {
        FloatVector v = FloatVector.fromArray(F, x, xo + j + c);
        a0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE)
            .and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(v, a0);
        a1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE)
            .and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(v, a1);
        a2 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o2 + 2 + c, LE)
            .and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(v, a2);
        a3 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o3 + 2 + c, LE)
            .and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(v, a3);
      }
      for (int c = 0; c < 16; c += L) {
        FloatVector v = FloatVector.fromArray(F, x, xo + j + 16 + c);
        a0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE)
            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(v, a0);
        a1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE)
            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1).fma(v, a1);
        a2 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o2 + 2 + c, LE)
            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d2).fma(v, a2);
        a3 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o3 + 2 + c, LE)
            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d3).fma(v, a3);
      }
      o0 += 18; o1 += 18; o2 += 18; o3 += 18;
    }
    a0.intoArray(acc, ac + 0 * L);
    a1.intoArray(acc, ac + 1 * L);
    a2.intoArray(acc, ac + 2 * L);
    a3.intoArray(acc, ac + 3 * L);
  }

  /** Q4_0, 4 rows x 2 tokens, as {@link #q4_0} per row: aRT is the accumulator of row R and token T. */
  private static void q4_0x2(MemorySegment data, long row0, long rowStride, float[] x, int xo, int xs, int cols, float[] acc, int ac) {
    FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    long o0 = row0 + 0 * rowStride, o1 = row0 + 1 * rowStride, o2 = row0 + 2 * rowStride, o3 = row0 + 3 * rowStride;
    for (int j = 0; j < cols; j += 32) {
      float d0 = Dequant.f16(data, o0), d1 = Dequant.f16(data, o1), d2 = Dequant.f16(data, o2), d3 = Dequant.f16(data, o3);
      for (int c = 0; c < 16; c += L) {
        FloatVector v0 = FloatVector.fromArray(F, x, xo + 0 * xs + j + 0 + c);
        FloatVector v1 = FloatVector.fromArray(F, x, xo + 1 * xs + j + 0 + c);
        FloatVector w0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE)
            .and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
        a00 = w0.fma(v0, a00);
        a01 = w0.fma(v1, a01);
        FloatVector w1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE)
            .and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
        a10 = w1.fma(v0, a10);
        a11 = w1.fma(v1, a11);
        FloatVector w2 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o2 + 2 + c, LE)
            .and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d2);
        a20 = w2.fma(v0, a20);
        a21 = w2.fma(v1, a21);
        FloatVector w3 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o3 + 2 + c, LE)
            .and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d3);
        a30 = w3.fma(v0, a30);
        a31 = w3.fma(v1, a31);
      }
      for (int c = 0; c < 16; c += L) {
        FloatVector v0 = FloatVector.fromArray(F, x, xo + 0 * xs + j + 16 + c);
        FloatVector v1 = FloatVector.fromArray(F, x, xo + 1 * xs + j + 16 + c);
        FloatVector w0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE)
            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
        a00 = w0.fma(v0, a00);
        a01 = w0.fma(v1, a01);
        FloatVector w1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE)
            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
        a10 = w1.fma(v0, a10);
        a11 = w1.fma(v1, a11);
        FloatVector w2 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o2 + 2 + c, LE)
            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d2);
        a20 = w2.fma(v0, a20);
        a21 = w2.fma(v1, a21);
        FloatVector w3 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o3 + 2 + c, LE)
            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d3);
        a30 = w3.fma(v0, a30);
        a31 = w3.fma(v1, a31);
      }
      o0 += 18; o1 += 18; o2 += 18; o3 += 18;
    }
    a00.intoArray(acc, ac + 0 * L);
    a01.intoArray(acc, ac + 1 * L);
    a10.intoArray(acc, ac + 2 * L);
    a11.intoArray(acc, ac + 3 * L);
    a20.intoArray(acc, ac + 4 * L);
    a21.intoArray(acc, ac + 5 * L);
    a30.intoArray(acc, ac + 6 * L);
    a31.intoArray(acc, ac + 7 * L);
  }

  /** Q4_0, 2 rows x 3 tokens, as {@link #q4_0} per row: aRT is the accumulator of row R and token T. */
  private static void q4_0x3(MemorySegment data, long row0, long rowStride, float[] x, int xo, int xs, int cols, float[] acc, int ac) {
    FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
    long o0 = row0 + 0 * rowStride, o1 = row0 + 1 * rowStride;
    for (int j = 0; j < cols; j += 32) {
      float d0 = Dequant.f16(data, o0), d1 = Dequant.f16(data, o1);
      for (int c = 0; c < 16; c += L) {
        FloatVector v0 = FloatVector.fromArray(F, x, xo + 0 * xs + j + 0 + c);
        FloatVector v1 = FloatVector.fromArray(F, x, xo + 1 * xs + j + 0 + c);
        FloatVector v2 = FloatVector.fromArray(F, x, xo + 2 * xs + j + 0 + c);
        FloatVector w0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE)
            .and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
        a00 = w0.fma(v0, a00);
        a01 = w0.fma(v1, a01);
        a02 = w0.fma(v2, a02);
        FloatVector w1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE)
            .and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
        a10 = w1.fma(v0, a10);
        a11 = w1.fma(v1, a11);
        a12 = w1.fma(v2, a12);
      }
      for (int c = 0; c < 16; c += L) {
        FloatVector v0 = FloatVector.fromArray(F, x, xo + 0 * xs + j + 16 + c);
        FloatVector v1 = FloatVector.fromArray(F, x, xo + 1 * xs + j + 16 + c);
        FloatVector v2 = FloatVector.fromArray(F, x, xo + 2 * xs + j + 16 + c);
        FloatVector w0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE)
            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
        a00 = w0.fma(v0, a00);
        a01 = w0.fma(v1, a01);
        a02 = w0.fma(v2, a02);
        FloatVector w1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE)
            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
        a10 = w1.fma(v0, a10);
        a11 = w1.fma(v1, a11);
        a12 = w1.fma(v2, a12);
      }
      o0 += 18; o1 += 18;
    }
    a00.intoArray(acc, ac + 0 * L);
    a01.intoArray(acc, ac + 1 * L);
    a02.intoArray(acc, ac + 2 * L);
    a10.intoArray(acc, ac + 3 * L);
    a11.intoArray(acc, ac + 4 * L);
    a12.intoArray(acc, ac + 5 * L);
  }

  /** Q4_0, 2 rows x 4 tokens, as {@link #q4_0} per row: aRT is the accumulator of row R and token T. */
  private static void q4_0x4(MemorySegment data, long row0, long rowStride, float[] x, int xo, int xs, int cols, float[] acc, int ac) {
    FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    long o0 = row0 + 0 * rowStride, o1 = row0 + 1 * rowStride;
    for (int j = 0; j < cols; j += 32) {
      float d0 = Dequant.f16(data, o0), d1 = Dequant.f16(data, o1);
      for (int c = 0; c < 16; c += L) {
        FloatVector v0 = FloatVector.fromArray(F, x, xo + 0 * xs + j + 0 + c);
        FloatVector v1 = FloatVector.fromArray(F, x, xo + 1 * xs + j + 0 + c);
        FloatVector v2 = FloatVector.fromArray(F, x, xo + 2 * xs + j + 0 + c);
        FloatVector v3 = FloatVector.fromArray(F, x, xo + 3 * xs + j + 0 + c);
        FloatVector w0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE)
            .and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
        a00 = w0.fma(v0, a00);
        a01 = w0.fma(v1, a01);
        a02 = w0.fma(v2, a02);
        a03 = w0.fma(v3, a03);
        FloatVector w1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE)
            .and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
        a10 = w1.fma(v0, a10);
        a11 = w1.fma(v1, a11);
        a12 = w1.fma(v2, a12);
        a13 = w1.fma(v3, a13);
      }
      for (int c = 0; c < 16; c += L) {
        FloatVector v0 = FloatVector.fromArray(F, x, xo + 0 * xs + j + 16 + c);
        FloatVector v1 = FloatVector.fromArray(F, x, xo + 1 * xs + j + 16 + c);
        FloatVector v2 = FloatVector.fromArray(F, x, xo + 2 * xs + j + 16 + c);
        FloatVector v3 = FloatVector.fromArray(F, x, xo + 3 * xs + j + 16 + c);
        FloatVector w0 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE)
            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d0);
        a00 = w0.fma(v0, a00);
        a01 = w0.fma(v1, a01);
        a02 = w0.fma(v2, a02);
        a03 = w0.fma(v3, a03);
        FloatVector w1 = ((FloatVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE)
            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d1);
        a10 = w1.fma(v0, a10);
        a11 = w1.fma(v1, a11);
        a12 = w1.fma(v2, a12);
        a13 = w1.fma(v3, a13);
      }
      o0 += 18; o1 += 18;
    }
    a00.intoArray(acc, ac + 0 * L);
    a01.intoArray(acc, ac + 1 * L);
    a02.intoArray(acc, ac + 2 * L);
    a03.intoArray(acc, ac + 3 * L);
    a10.intoArray(acc, ac + 4 * L);
    a11.intoArray(acc, ac + 5 * L);
    a12.intoArray(acc, ac + 6 * L);
    a13.intoArray(acc, ac + 7 * L);
  }
}
