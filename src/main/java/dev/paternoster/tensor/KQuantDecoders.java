package dev.paternoster.tensor;

import static dev.paternoster.tensor.Lanes.B;
import static dev.paternoster.tensor.Lanes.L;
import static dev.paternoster.tensor.BlockDecoders.widen;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector decoders for the 256-value K-quant super-blocks Q4_K, Q5_K and Q6_K. Scales are decoded
 * scalar once per 32 (Q4_K/Q5_K) or 16 (Q6_K) values; the quants are unpacked with byte-lane bit
 * operations, widened to floats and scaled with the same float operations, in the same order, as
 * {@link Dequant} (so the results are identical).
 */
final class KQuantDecoders {
  private KQuantDecoders() {}

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  private static ByteVector bytes(MemorySegment data, long off) {
    return ByteVector.fromMemorySegment(B, data, off, LE);
  }

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
          ByteVector q = bytes(data, qs + 32 * g + c);
          widen(q.and((byte) 0x0F)).mul(d1).sub(m1).intoArray(dst, y + c);
          widen(q.lanewise(VectorOperators.ASHR, 4).and((byte) 0x0F)).mul(d2).sub(m2).intoArray(dst, y + 32 + c);
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
          ByteVector q = bytes(data, qs + 32 * g + c);
          ByteVector h = bytes(data, qhOff + c);
          // bit 2g of h, moved to bit 4 (value 16); bit 2g+1 likewise
          ByteVector h0 = h.lanewise(VectorOperators.ASHR, 2 * g).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
          ByteVector h1 = h.lanewise(VectorOperators.ASHR, 2 * g + 1).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
          widen(q.and((byte) 0x0F).or(h0)).mul(d1).sub(m1).intoArray(dst, y + c);
          widen(q.lanewise(VectorOperators.ASHR, 4).and((byte) 0x0F).or(h1)).mul(d2).sub(m2).intoArray(dst, y + 32 + c);
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
          ByteVector lo = bytes(data, ql + c), hi = bytes(data, ql + 32 + c), h = bytes(data, qh + c);
          ByteVector q1 = lo.and((byte) 0x0F).or(h.and((byte) 3).lanewise(VectorOperators.LSHL, 4));
          ByteVector q2 = hi.and((byte) 0x0F).or(h.lanewise(VectorOperators.ASHR, 2).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
          ByteVector q3 = lo.lanewise(VectorOperators.ASHR, 4).and((byte) 0x0F)
              .or(h.lanewise(VectorOperators.ASHR, 4).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
          ByteVector q4 = hi.lanewise(VectorOperators.ASHR, 4).and((byte) 0x0F)
              .or(h.lanewise(VectorOperators.ASHR, 6).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
          widen(q1.sub((byte) 32)).mul(d * scale(data, sc + is)).intoArray(dst, y + c);
          widen(q2.sub((byte) 32)).mul(d * scale(data, sc + is + 2)).intoArray(dst, y + 32 + c);
          widen(q3.sub((byte) 32)).mul(d * scale(data, sc + is + 4)).intoArray(dst, y + 64 + c);
          widen(q4.sub((byte) 32)).mul(d * scale(data, sc + is + 6)).intoArray(dst, y + 96 + c);
        }
      }
    }
  }

  private static byte scale(MemorySegment data, long off) {
    return data.get(ValueLayout.JAVA_BYTE, off);
  }
}
