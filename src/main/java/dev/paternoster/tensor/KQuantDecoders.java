package dev.paternoster.tensor;

import static dev.paternoster.tensor.Lanes.L;
import static dev.paternoster.tensor.Lanes.B;
import static dev.paternoster.tensor.Lanes.I;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector decoders for the 256-value K-quant super-blocks Q4_K, Q5_K and Q6_K. Scales are decoded
 * scalar once per 32 (Q4_K/Q5_K) or 16 (Q6_K) values; the quants are widened to int lanes, unpacked
 * with bit operations, converted to floats and scaled with the same float operations, in the same order, as
 * {@link Dequant} (so the results are identical).
 */
final class KQuantDecoders {
  private KQuantDecoders() {}

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;


  /** block_q4_K (144 bytes): d, dmin, scales[12], qs[128]; x = d*scale*q - dmin*min per 32 values. */
  static void q4_K(MemorySegment data, long rowOffset, int col, int n, float[] dst, int dstOff) {
    long o = rowOffset + (long) (col / 256) * 144;
    for (int b = 0; b < n; b += 256, o += 144) {
      float d = Dequant.f16(data, o), dmin = Dequant.f16(data, o + 2);
      long sc = o + 4, qs = o + 16;
      for (int g = 0; g < 4; g++) {
        int sm0 = Dequant.scaleMinK4(data, sc, 2 * g), sm1 = Dequant.scaleMinK4(data, sc, 2 * g + 1);
        float d1 = d * (sm0 & 0xFF), m1 = dmin * (sm0 >> 8);
        float d2 = d * (sm1 & 0xFF), m2 = dmin * (sm1 >> 8);
        int y = dstOff + b + 64 * g;
        for (int c = 0; c < 32; c += L) {
          q4Vector(data, qs + 32 * g + c, 0, d1, m1, dst, y + c);
          q4Vector(data, qs + 32 * g + c, 4, d2, m2, dst, y + 32 + c);
        }
      }
    }
  }

  /** block_q5_K (176 bytes): d, dmin, scales[12], qh[32], qs[128]; sub-block k's fifth bit is bit k of qh[l]. */
  static void q5_K(MemorySegment data, long rowOffset, int col, int n, float[] dst, int dstOff) {
    long o = rowOffset + (long) (col / 256) * 176;
    for (int b = 0; b < n; b += 256, o += 176) {
      float d = Dequant.f16(data, o), dmin = Dequant.f16(data, o + 2);
      long sc = o + 4, qhOff = o + 16, qs = o + 48;
      for (int g = 0; g < 4; g++) {
        int sm0 = Dequant.scaleMinK4(data, sc, 2 * g), sm1 = Dequant.scaleMinK4(data, sc, 2 * g + 1);
        float d1 = d * (sm0 & 0xFF), m1 = dmin * (sm0 >> 8);
        float d2 = d * (sm1 & 0xFF), m2 = dmin * (sm1 >> 8);
        int y = dstOff + b + 64 * g;
        for (int c = 0; c < 32; c += L) {
          q5Vector(data, qs + 32 * g + c, 0, qhOff + c, 2 * g, d1, m1, dst, y + c);
          q5Vector(data, qs + 32 * g + c, 4, qhOff + c, 2 * g + 1, d2, m2, dst, y + 32 + c);
        }
      }
    }
  }

  /**
   * block_q6_K (210 bytes): ql[128], qh[64], int8 scales[16], d. In each 128-value half, value
   * 32k + l takes a nibble of ql[l + 32(k&1)] (low for k < 2) and bits 2k..2k+1 of qh[l];
   * x = (d*scale) * (q - 32) with one scale per 16 values (L <= 16, so one per vector).
   */
  static void q6_K(MemorySegment data, long rowOffset, int col, int n, float[] dst, int dstOff) {
    long o = rowOffset + (long) (col / 256) * 210;
    for (int b = 0; b < n; b += 256, o += 210) {
      float d = Dequant.f16(data, o + 208);
      for (int half = 0; half < 2; half++) {
        long ql = o + 64 * half, qh = o + 128 + 32 * half, sc = o + 192 + 8 * half;
        int y = dstOff + b + 128 * half;
        for (int c = 0; c < 32; c += L) {
          int is = c / 16;
          q6Vector(data, ql + c, 0, qh + c, 0, d * scale(data, sc + is), dst, y + c);
          q6Vector(data, ql + 32 + c, 0, qh + c, 2, d * scale(data, sc + is + 2), dst, y + 32 + c);
          q6Vector(data, ql + c, 4, qh + c, 4, d * scale(data, sc + is + 4), dst, y + 64 + c);
          q6Vector(data, ql + 32 + c, 4, qh + c, 6, d * scale(data, sc + is + 6), dst, y + 96 + c);
        }
      }
    }
  }

  // One vector of L values per call, in a method of its own: C2 stops inlining once a compilation
  // grows past its node budget, and each Vector API operation is big before intrinsification.
  // Only scalars cross these method boundaries, never a vector: a vector passed to or returned from
  // a method C2 does not inline is boxed, which made a first version of Q5_K/Q6_K 10x slower.

  /** Nibble at bit {@code shift} (0 or 4) of the bytes at q: d1 * nibble - m1. */
  private static void q4Vector(MemorySegment data, long q, int shift, float d1, float m1, float[] dst, int y) {
    IntVector v = ((IntVector) ByteVector.fromMemorySegment(B, data, q, LE).convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.ASHR, shift).and(0x0F);
    ((FloatVector) v.convert(VectorOperators.I2F, 0)).mul(d1).sub(m1).intoArray(dst, y);
  }

  /** As {@link #q4Vector}, plus bit {@code hbit} of the qh bytes as value 16. */
  private static void q5Vector(MemorySegment data, long q, int shift, long qh, int hbit, float d1, float m1,
      float[] dst, int y) {
    IntVector v = ((IntVector) ByteVector.fromMemorySegment(B, data, q, LE).convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.ASHR, shift).and(0x0F);
    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, data, qh, LE).convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.ASHR, hbit).and(1).lanewise(VectorOperators.LSHL, 4);
    ((FloatVector) v.or(h).convert(VectorOperators.I2F, 0)).mul(d1).sub(m1).intoArray(dst, y);
  }

  /** Q6_K: nibble at bit {@code shift} of the ql bytes, bits {@code hshift..+1} of the qh bytes on top; (q - 32) * scale. */
  private static void q6Vector(MemorySegment data, long ql, int shift, long qh, int hshift, float scale,
      float[] dst, int y) {
    IntVector v = ((IntVector) ByteVector.fromMemorySegment(B, data, ql, LE).convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.ASHR, shift).and(0x0F);
    IntVector h = ((IntVector) ByteVector.fromMemorySegment(B, data, qh, LE).convertShape(VectorOperators.B2I, I, 0)).lanewise(VectorOperators.ASHR, hshift).and(3).lanewise(VectorOperators.LSHL, 4);
    ((FloatVector) v.or(h).sub(32).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(dst, y);
  }

  private static byte scale(MemorySegment data, long off) {
    return data.get(ValueLayout.JAVA_BYTE, off);
  }
}
