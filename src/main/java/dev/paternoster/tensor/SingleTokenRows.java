package dev.paternoster.tensor;

import static dev.paternoster.tensor.Lanes.B;
import static dev.paternoster.tensor.Lanes.F;
import static dev.paternoster.tensor.Lanes.I;
import static dev.paternoster.tensor.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The float kernels' single-token case for Q8_0 and Q4_0, with the weights decoded straight into
 * registers: four rows at a time, each weight vector decoded exactly as {@link BlockDecoders}
 * decodes it and multiplied into its row's accumulator exactly as {@link DotTiles}' 8x1 tile does,
 * chunk after chunk in ascending order. The results are therefore the same bits as the
 * decode-then-multiply path (the batch path), without writing the decoded rows out and reading
 * them back, which is most of a single token's work.
 */
final class SingleTokenRows {
  private SingleTokenRows() {}

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /** Whether {@link #dot8} handles type {@code t} (and the lane count allows it). */
  static boolean handles(GGMLType t) {
    return Lanes.VECTOR_DECODE && (t == GGMLType.Q8_0 || t == GGMLType.Q4_0);
  }

  /**
   * The rows at byte offsets {@code row0 + i*rowStride} (i < 8) of type {@code t} times
   * {@code x[xo .. xo + cols)}: row i's lane accumulator goes to {@code acc[i*L ..]}, as the 8x1
   * tile leaves it. The stride may be any multiple of the row size (see {@code MatmulTask}).
   */
  static void dot8(GGMLType t, MemorySegment data, long row0, long rowStride, float[] x, int xo, int cols, float[] acc) {
    // two calls of four rows: one eight-row method is too large for C1 (it gives up, and until C2
    // compiles it the vectors run interpreted, a hundred times slower)
    for (int half = 0; half < 2; half++) {
      long r = row0 + half * 4 * rowStride;
      if (t == GGMLType.Q8_0) q8_0(data, r, rowStride, x, xo, cols, acc, half * 4 * L);
      else q4_0(data, r, rowStride, x, xo, cols, acc, half * 4 * L);
    }
  }

  // Written out per row, as the tiles are: vectors never cross a method boundary.

  private static void q8_0(MemorySegment data, long row0, long rowStride, float[] x, int xo, int cols, float[] acc, int ac) {
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

  /**
   * Q4_0: element c < 16 of a block is the low nibble of byte c, element c + 16 its high nibble;
   * the low chunks come first, as in the decoded row (the bytes are loaded again for the high
   * ones: they are in L1, and one load per chunk keeps the register count down).
   */
  private static void q4_0(MemorySegment data, long row0, long rowStride, float[] x, int xo, int cols, float[] acc, int ac) {
    FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
    long o0 = row0 + 0 * rowStride, o1 = row0 + 1 * rowStride, o2 = row0 + 2 * rowStride, o3 = row0 + 3 * rowStride;
    for (int j = 0; j < cols; j += 32) {
      float d0 = Dequant.f16(data, o0), d1 = Dequant.f16(data, o1), d2 = Dequant.f16(data, o2), d3 = Dequant.f16(data, o3);
      for (int c = 0; c < 16; c += L) {
        FloatVector v = FloatVector.fromArray(F, x, xo + j + c);
        a0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE).convertShape(VectorOperators.B2I, I, 0))
            .and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d0).fma(v, a0);
        a1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE).convertShape(VectorOperators.B2I, I, 0))
            .and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d1).fma(v, a1);
        a2 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B, data, o2 + 2 + c, LE).convertShape(VectorOperators.B2I, I, 0))
            .and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d2).fma(v, a2);
        a3 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B, data, o3 + 2 + c, LE).convertShape(VectorOperators.B2I, I, 0))
            .and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d3).fma(v, a3);
      }
      for (int c = 0; c < 16; c += L) {
        FloatVector v = FloatVector.fromArray(F, x, xo + j + 16 + c);
        a0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B, data, o0 + 2 + c, LE).convertShape(VectorOperators.B2I, I, 0))
            .lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d0).fma(v, a0);
        a1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B, data, o1 + 2 + c, LE).convertShape(VectorOperators.B2I, I, 0))
            .lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d1).fma(v, a1);
        a2 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B, data, o2 + 2 + c, LE).convertShape(VectorOperators.B2I, I, 0))
            .lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d2).fma(v, a2);
        a3 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B, data, o3 + 2 + c, LE).convertShape(VectorOperators.B2I, I, 0))
            .lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0)).mul(d3).fma(v, a3);
      }
      o0 += 18; o1 += 18; o2 += 18; o3 += 18;
    }
    a0.intoArray(acc, ac + 0 * L);
    a1.intoArray(acc, ac + 1 * L);
    a2.intoArray(acc, ac + 2 * L);
    a3.intoArray(acc, ac + 3 * L);
  }
}
