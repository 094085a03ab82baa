package dev.paternoster.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Scalar reference dequantizers, following ggml's block layouts exactly. */
public final class Dequant {
  private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
  private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

  private Dequant() {}

  static float f16(MemorySegment s, long at) {
    return Float.float16ToFloat(s.get(I16, at));
  }

  static int u8(MemorySegment s, long at) {
    return s.get(ValueLayout.JAVA_BYTE, at) & 0xff;
  }

  /** Dequantizes {@code n} values (a multiple of the block size) starting at byte {@code at}. */
  public static void row(GGMLType t, MemorySegment src, long at, float[] dst, int off, int n) {
    switch (t) {
      case F32 -> MemorySegment.copy(src, F32, at, dst, off, n);
      case F16 -> { for (int i = 0; i < n; i++) dst[off + i] = f16(src, at + 2L * i); }
      case BF16 -> { for (int i = 0; i < n; i++) dst[off + i] = Float.intBitsToFloat((src.get(I16, at + 2L * i) & 0xffff) << 16); }
      case Q8_0 -> {
        for (int b = 0; b < n / 32; b++) {
          long p = at + 34L * b;
          float d = f16(src, p);
          for (int j = 0; j < 32; j++) dst[off + 32 * b + j] = d * src.get(ValueLayout.JAVA_BYTE, p + 2 + j);
        }
      }
      case Q4_0 -> {
        for (int b = 0; b < n / 32; b++) {
          long p = at + 18L * b;
          float d = f16(src, p);
          for (int j = 0; j < 16; j++) {
            int q = u8(src, p + 2 + j);
            dst[off + 32 * b + j] = ((q & 0xF) - 8) * d;
            dst[off + 32 * b + j + 16] = ((q >> 4) - 8) * d;
          }
        }
      }
      case Q4_K -> { for (int b = 0; b < n / 256; b++) q4k(src, at + 144L * b, dst, off + 256 * b); }
      case Q5_K -> { for (int b = 0; b < n / 256; b++) q5k(src, at + 176L * b, dst, off + 256 * b); }
      case Q6_K -> { for (int b = 0; b < n / 256; b++) q6k(src, at + 210L * b, dst, off + 256 * b); }
      default -> throw new IllegalArgumentException("no dequantizer for type " + t);
    }
  }

  /** 6-bit scale and min of sub-block j from the 12 packed scale bytes of a Q4_K/Q5_K block. */
  static int scale(MemorySegment s, long scales, int j) {
    return j < 4 ? u8(s, scales + j) & 63 : (u8(s, scales + j + 4) & 0xF) | ((u8(s, scales + j - 4) >> 6) << 4);
  }

  static int min(MemorySegment s, long scales, int j) {
    return j < 4 ? u8(s, scales + j + 4) & 63 : (u8(s, scales + j + 4) >> 4) | ((u8(s, scales + j) >> 6) << 4);
  }

  private static void q4k(MemorySegment s, long p, float[] y, int o) {
    float d = f16(s, p), dmin = f16(s, p + 2);
    long scales = p + 4, qs = p + 16;
    for (int j = 0, is = 0; j < 256; j += 64, is += 2, qs += 32) {
      float d1 = d * scale(s, scales, is), m1 = dmin * min(s, scales, is);
      float d2 = d * scale(s, scales, is + 1), m2 = dmin * min(s, scales, is + 1);
      for (int l = 0; l < 32; l++) y[o + j + l] = d1 * (u8(s, qs + l) & 0xF) - m1;
      for (int l = 0; l < 32; l++) y[o + j + 32 + l] = d2 * (u8(s, qs + l) >> 4) - m2;
    }
  }

  private static void q5k(MemorySegment s, long p, float[] y, int o) {
    float d = f16(s, p), dmin = f16(s, p + 2);
    long scales = p + 4, qh = p + 16, ql = p + 48;
    int u1 = 1, u2 = 2;
    for (int j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      float d1 = d * scale(s, scales, is), m1 = dmin * min(s, scales, is);
      float d2 = d * scale(s, scales, is + 1), m2 = dmin * min(s, scales, is + 1);
      for (int l = 0; l < 32; l++) {
        int h = u8(s, qh + l);
        y[o + j + l] = d1 * ((u8(s, ql + l) & 0xF) + ((h & u1) != 0 ? 16 : 0)) - m1;
      }
      for (int l = 0; l < 32; l++) {
        int h = u8(s, qh + l);
        y[o + j + 32 + l] = d2 * ((u8(s, ql + l) >> 4) + ((h & u2) != 0 ? 16 : 0)) - m2;
      }
    }
  }

  private static void q6k(MemorySegment s, long p, float[] y, int o) {
    long ql = p, qh = p + 128, sc = p + 192;
    float d = f16(s, p + 208);
    for (int n = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; l++) {
        int is = l / 16;
        int h = u8(s, qh + l);
        int q1 = ((u8(s, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
        int q2 = ((u8(s, ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
        int q3 = ((u8(s, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
        int q4 = ((u8(s, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
        y[o + n + l] = d * s.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
        y[o + n + l + 32] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
        y[o + n + l + 64] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
        y[o + n + l + 96] = d * s.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
      }
    }
  }
}
