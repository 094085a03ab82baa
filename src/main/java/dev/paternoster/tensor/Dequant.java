package dev.paternoster.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar reference decoders for ggml's weight formats, bit-for-bit as ggml defines them (all
 * values little-endian). The vector kernels are tested against these; they are also the
 * fallback where no vector decoder exists.
 *
 * <p>Every decoded value is computed in float with the same operation order as ggml's
 * {@code dequantize_row_*}, so that the vector decoders, which follow the same order, produce
 * identical floats (the products of fp16 scales and small integers are exact).
 */
public final class Dequant {
  private Dequant() {}

  static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /**
   * Decodes {@code n} values starting at {@code byteOffset} of {@code src} into {@code dst[dstOff..]}.
   * {@code byteOffset} must be the start of a block and {@code n} a multiple of the block size.
   *
   * @throws IllegalArgumentException for a type without a decoder (naming it)
   */
  public static void row(GGMLType t, MemorySegment src, long byteOffset, float[] dst, int dstOff, int n) {
    if (n % t.blockSize != 0) {
      throw new IllegalArgumentException(t + " stores blocks of " + t.blockSize + " values; " + n + " is not a multiple");
    }
    int blocks = n / t.blockSize;
    switch (t) {
      case F32 -> MemorySegment.copy(src, F32, byteOffset, dst, dstOff, n);
      case F16 -> {
        for (int i = 0; i < n; i++) dst[dstOff + i] = f16(src, byteOffset + 2L * i);
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) dst[dstOff + i] = bf16(src.get(I16, byteOffset + 2L * i));
      }
      case Q8_0 -> {
        for (int b = 0; b < blocks; b++) q8_0(src, byteOffset + (long) b * t.blockBytes, dst, dstOff + b * 32);
      }
      case Q4_0 -> {
        for (int b = 0; b < blocks; b++) q4_0(src, byteOffset + (long) b * t.blockBytes, dst, dstOff + b * 32);
      }
      case Q4_K -> {
        for (int b = 0; b < blocks; b++) q4_K(src, byteOffset + (long) b * t.blockBytes, dst, dstOff + b * 256);
      }
      case Q5_K -> {
        for (int b = 0; b < blocks; b++) q5_K(src, byteOffset + (long) b * t.blockBytes, dst, dstOff + b * 256);
      }
      case Q6_K -> {
        for (int b = 0; b < blocks; b++) q6_K(src, byteOffset + (long) b * t.blockBytes, dst, dstOff + b * 256);
      }
      default -> throw new IllegalArgumentException("no decoder for weight type " + t);
    }
  }

  /** IEEE half at {@code off}. */
  static float f16(MemorySegment s, long off) {
    return Float.float16ToFloat(s.get(I16, off));
  }

  /** bfloat16 is the upper half of a float32. */
  static float bf16(short bits) {
    return Float.intBitsToFloat(bits << 16);
  }

  static int u8(MemorySegment s, long off) {
    return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
  }

  /** block_q8_0: fp16 d, int8 qs[32]; x = d * q. */
  static void q8_0(MemorySegment s, long o, float[] y, int yo) {
    float d = f16(s, o);
    for (int j = 0; j < 32; j++) y[yo + j] = d * s.get(ValueLayout.JAVA_BYTE, o + 2 + j);
  }

  /** block_q4_0: fp16 d, uint8 qs[16]; x[j] = d*(lo(qs[j])-8), x[j+16] = d*(hi(qs[j])-8). */
  static void q4_0(MemorySegment s, long o, float[] y, int yo) {
    float d = f16(s, o);
    for (int j = 0; j < 16; j++) {
      int q = u8(s, o + 2 + j);
      y[yo + j] = d * ((q & 0xF) - 8);
      y[yo + j + 16] = d * ((q >> 4) - 8);
    }
  }

  /**
   * The 6-bit scale (low 8 bits of the result) and 6-bit min (bits 8..15) of sub-block {@code j}
   * of a Q4_K/Q5_K block, packed in 12 bytes at {@code sc} (ggml's get_scale_min_k4): sub-blocks
   * 0..3 use the low 6 bits of bytes j and j+4; 4..7 combine a nibble of byte j+4 with the top
   * two bits of bytes j-4 and j.
   */
  static int scaleMinK4(MemorySegment s, long sc, int j) {
    int scale, min;
    if (j < 4) {
      scale = u8(s, sc + j) & 63;
      min = u8(s, sc + j + 4) & 63;
    } else {
      scale = (u8(s, sc + j + 4) & 0xF) | ((u8(s, sc + j - 4) >> 6) << 4);
      min = (u8(s, sc + j + 4) >> 4) | ((u8(s, sc + j) >> 6) << 4);
    }
    return scale | min << 8;
  }

  /**
   * block_q4_K (144 bytes): fp16 d, fp16 dmin, scales[12], qs[128]. Eight sub-blocks of 32;
   * each 32-byte group of qs holds two sub-blocks: low nibbles then high nibbles.
   * x = d*scale * q - dmin*min.
   */
  static void q4_K(MemorySegment s, long o, float[] y, int yo) {
    float d = f16(s, o);
    float dmin = f16(s, o + 2);
    long sc = o + 4;
    long qs = o + 16;
    for (int g = 0; g < 4; g++) {
      int sm0 = scaleMinK4(s, sc, 2 * g), sm1 = scaleMinK4(s, sc, 2 * g + 1);
      float d1 = d * (sm0 & 0xFF), m1 = dmin * (sm0 >> 8);
      float d2 = d * (sm1 & 0xFF), m2 = dmin * (sm1 >> 8);
      int base = yo + 64 * g;
      for (int l = 0; l < 32; l++) {
        int q = u8(s, qs + 32 * g + l);
        y[base + l] = d1 * (q & 0xF) - m1;
        y[base + 32 + l] = d2 * (q >> 4) - m2;
      }
    }
  }

  /**
   * block_q5_K (176 bytes): fp16 d, fp16 dmin, scales[12], qh[32], qs[128]. As Q4_K, plus a
   * fifth bit per value: sub-block k takes bit k of qh[l].
   */
  static void q5_K(MemorySegment s, long o, float[] y, int yo) {
    float d = f16(s, o);
    float dmin = f16(s, o + 2);
    long sc = o + 4;
    long qh = o + 16;
    long qs = o + 48;
    for (int g = 0; g < 4; g++) {
      int sm0 = scaleMinK4(s, sc, 2 * g), sm1 = scaleMinK4(s, sc, 2 * g + 1);
      float d1 = d * (sm0 & 0xFF), m1 = dmin * (sm0 >> 8);
      float d2 = d * (sm1 & 0xFF), m2 = dmin * (sm1 >> 8);
      int base = yo + 64 * g;
      for (int l = 0; l < 32; l++) {
        int q = u8(s, qs + 32 * g + l);
        int h = u8(s, qh + l);
        y[base + l] = d1 * ((q & 0xF) + ((h >> (2 * g)) & 1) * 16) - m1;
        y[base + 32 + l] = d2 * ((q >> 4) + ((h >> (2 * g + 1)) & 1) * 16) - m2;
      }
    }
  }

  /**
   * block_q6_K (210 bytes): ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], fp16 d.
   * Two halves of 128 values; in half n, value 32*k + l (k = 0..3, l = 0..31) takes the low or
   * high nibble of ql[64n + l + 32*(k&1)] and bits 2k..2k+1 of qh[32n + l]; its scale is
   * scales[(128n + 32k + l) / 16]. x = d * scale * (q - 32).
   */
  static void q6_K(MemorySegment s, long o, float[] y, int yo) {
    float d = f16(s, o + 208);
    for (int n = 0; n < 2; n++) {
      long ql = o + 64 * n;
      long qh = o + 128 + 32 * n;
      long sc = o + 192 + 8 * n;
      int base = yo + 128 * n;
      for (int l = 0; l < 32; l++) {
        int is = l / 16;
        int lo = u8(s, ql + l), hi = u8(s, ql + l + 32), h = u8(s, qh + l);
        int q1 = ((lo & 0xF) | ((h & 3) << 4)) - 32;
        int q2 = ((hi & 0xF) | (((h >> 2) & 3) << 4)) - 32;
        int q3 = ((lo >> 4) | (((h >> 4) & 3) << 4)) - 32;
        int q4 = ((hi >> 4) | (((h >> 6) & 3) << 4)) - 32;
        y[base + l] = d * s.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
        y[base + l + 32] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
        y[base + l + 64] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
        y[base + l + 96] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
      }
    }
  }
}
