package dev.paternoster.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Scalar encoders float → ggml block formats, for writing synthetic GGUF files and for tests.
 *
 * <p>F16, BF16, Q8_0 and Q4_0 follow ggml's reference quantizers exactly. The K-quants use a
 * simple one-pass quantizer (per sub-block min/max, then 6- or 8-bit quantized sub-block scales,
 * then values re-quantized against the stored scales), not llama.cpp's iterative search: the files
 * are valid and decode to within the format's resolution, but are a little less accurate.
 */
public final class Quantize {
  private Quantize() {}

  /** Encodes {@code src[srcOff .. srcOff+n)} into {@code dst} at {@code dstOff} ({@code t.bytesFor(n)} bytes). */
  public static void row(GGMLType t, float[] src, int srcOff, int n, MemorySegment dst, long dstOff) {
    Objects.checkFromIndexSize(srcOff, n, src.length);
    long bytes = t.bytesFor(n); // also checks the block multiple
    Objects.checkFromIndexSize(dstOff, bytes, dst.byteSize());
    int blocks = n / t.blockSize;
    switch (t) {
      case F32 -> MemorySegment.copy(src, srcOff, dst, Dequant.F32, dstOff, n);
      case F16 -> {
        for (int i = 0; i < n; i++) dst.set(Dequant.I16, dstOff + 2L * i, Float.floatToFloat16(src[srcOff + i]));
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) dst.set(Dequant.I16, dstOff + 2L * i, toBf16(src[srcOff + i]));
      }
      case Q8_0 -> {
        for (int b = 0; b < blocks; b++) q8_0(src, srcOff + 32 * b, dst, dstOff + (long) b * t.blockBytes);
      }
      case Q4_0 -> {
        for (int b = 0; b < blocks; b++) q4_0(src, srcOff + 32 * b, dst, dstOff + (long) b * t.blockBytes);
      }
      case Q4_K -> {
        for (int b = 0; b < blocks; b++) kQuant(src, srcOff + 256 * b, dst, dstOff + (long) b * t.blockBytes, false);
      }
      case Q5_K -> {
        for (int b = 0; b < blocks; b++) kQuant(src, srcOff + 256 * b, dst, dstOff + (long) b * t.blockBytes, true);
      }
      case Q6_K -> {
        for (int b = 0; b < blocks; b++) q6_K(src, srcOff + 256 * b, dst, dstOff + (long) b * t.blockBytes);
      }
      default -> throw new IllegalArgumentException("no quantizer for weight type " + t);
    }
  }

  /** All of {@code src} encoded as {@code t}. */
  public static byte[] toBytes(GGMLType t, float[] src) {
    byte[] out = new byte[Math.toIntExact(t.bytesFor(src.length))];
    row(t, src, 0, src.length, MemorySegment.ofArray(out), 0);
    return out;
  }

  /** A {@code rows x cols} heap-backed weight holding {@code values} (row-major) encoded as {@code t}. */
  public static Weight weight(String name, GGMLType t, int rows, int cols, float[] values) {
    if (values.length != Math.multiplyExact(rows, cols)) {
      throw new IllegalArgumentException(name + ": " + values.length + " values for " + rows + " x " + cols);
    }
    return new Weight(name, t, rows, cols, MemorySegment.ofArray(toBytes(t, values)));
  }

  /** Round to nearest, ties away from zero (C's roundf). */
  static int roundAway(float v) {
    return v < 0 ? -Math.round(-v) : Math.round(v);
  }

  /** Round to nearest, ties to even (ggml's nearest_int). */
  static int nearest(float v) {
    return (int) Math.rint(v);
  }

  /** float → bfloat16 rounding to nearest even; NaN stays a (quiet) NaN, as ggml_fp32_to_bf16. */
  static short toBf16(float f) {
    int u = Float.floatToRawIntBits(f);
    if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
    return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
  }

  private static void putF16(MemorySegment s, long off, float v) {
    s.set(Dequant.I16, off, Float.floatToFloat16(v));
  }

  /** ggml quantize_row_q8_0_ref: d = amax/127, q = roundf(x/d). */
  static void q8_0(float[] x, int xo, MemorySegment s, long o) {
    float amax = 0;
    for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
    float d = amax / 127;
    float id = d != 0 ? 1.0f / d : 0.0f;
    putF16(s, o, d);
    for (int j = 0; j < 32; j++) s.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) roundAway(x[xo + j] * id));
  }

  /** ggml quantize_row_q4_0_ref: d = (value of largest magnitude)/-8, q = min(15, (int8)(x/d + 8.5)). */
  static void q4_0(float[] x, int xo, MemorySegment s, long o) {
    float amax = 0, max = 0;
    for (int j = 0; j < 32; j++) {
      float v = x[xo + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    float d = max / -8;
    float id = d != 0 ? 1.0f / d : 0.0f;
    putF16(s, o, d);
    for (int j = 0; j < 16; j++) {
      int q0 = Math.min(15, (byte) (int) (x[xo + j] * id + 8.5f));
      int q1 = Math.min(15, (byte) (int) (x[xo + 16 + j] * id + 8.5f));
      s.set(ValueLayout.JAVA_BYTE, o + 2 + j, (byte) (q0 | q1 << 4));
    }
  }

  /**
   * Q4_K (fiveBits = false) or Q5_K (true): per 32-value sub-block an affine map
   * x ≈ scale*q - min with min ≥ 0 and q in [0, 2^bits); scales and mins are themselves
   * quantized to 6 bits against the block's d and dmin.
   */
  static void kQuant(float[] x, int xo, MemorySegment s, long o, boolean fiveBits) {
    int nmax = fiveBits ? 31 : 15;
    float[] scales = new float[8];
    float[] mins = new float[8];
    float maxScale = 0, maxMin = 0;
    for (int j = 0; j < 8; j++) {
      float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
      for (int l = 0; l < 32; l++) {
        float v = x[xo + 32 * j + l];
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      lo = Math.min(lo, 0); // the format stores -min as a non-negative 6-bit value
      scales[j] = (hi - lo) / nmax;
      mins[j] = -lo;
      maxScale = Math.max(maxScale, scales[j]);
      maxMin = Math.max(maxMin, mins[j]);
    }
    float invScale = maxScale > 0 ? 63 / maxScale : 0;
    float invMin = maxMin > 0 ? 63 / maxMin : 0;
    int[] ls = new int[8], lm = new int[8];
    for (int j = 0; j < 8; j++) {
      ls[j] = Math.min(63, nearest(invScale * scales[j]));
      lm[j] = Math.min(63, nearest(invMin * mins[j]));
    }
    putF16(s, o, maxScale / 63);
    putF16(s, o + 2, maxMin / 63);
    long sc = o + 4;
    for (int j = 0; j < 12; j++) s.set(ValueLayout.JAVA_BYTE, sc + j, (byte) 0);
    for (int j = 0; j < 8; j++) {
      if (j < 4) {
        orByte(s, sc + j, ls[j]);
        orByte(s, sc + j + 4, lm[j]);
      } else {
        orByte(s, sc + j + 4, (ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
        orByte(s, sc + j - 4, (ls[j] >> 4) << 6);
        orByte(s, sc + j, (lm[j] >> 4) << 6);
      }
    }
    // Re-quantize against the scales as stored, so rounding of d, dmin and the 6-bit codes is absorbed.
    float d = Dequant.f16(s, o), dmin = Dequant.f16(s, o + 2);
    int[] q = new int[256];
    for (int j = 0; j < 8; j++) {
      int sm = Dequant.scaleMinK4(s, sc, j);
      float dd = d * (sm & 0xFF), dm = dmin * (sm >> 8);
      for (int l = 0; l < 32; l++) {
        q[32 * j + l] = dd == 0 ? 0 : Math.clamp(nearest((x[xo + 32 * j + l] + dm) / dd), 0, nmax);
      }
    }
    long qs = o + (fiveBits ? 48 : 16);
    if (fiveBits) {
      for (int l = 0; l < 32; l++) s.set(ValueLayout.JAVA_BYTE, o + 16 + l, (byte) 0);
    }
    for (int g = 0; g < 4; g++) {
      for (int l = 0; l < 32; l++) {
        int q0 = q[64 * g + l], q1 = q[64 * g + 32 + l];
        if (fiveBits) {
          orByte(s, o + 16 + l, ((q0 >> 4) << (2 * g)) | ((q1 >> 4) << (2 * g + 1)));
        }
        s.set(ValueLayout.JAVA_BYTE, qs + 32 * g + l, (byte) ((q0 & 0xF) | (q1 & 0xF) << 4));
      }
    }
  }

  /**
   * Q6_K: per 16-value sub-block a symmetric scale putting the value of largest magnitude at -32;
   * the 16 scales are quantized to int8 against d = (largest scale)/-128, as ggml does.
   */
  static void q6_K(float[] x, int xo, MemorySegment s, long o) {
    float[] scales = new float[16];
    float maxScale = 0, maxAbsScale = 0;
    for (int j = 0; j < 16; j++) {
      float amax = 0, max = 0;
      for (int l = 0; l < 16; l++) {
        float v = x[xo + 16 * j + l];
        if (Math.abs(v) > amax) {
          amax = Math.abs(v);
          max = v;
        }
      }
      scales[j] = max / -32;
      if (Math.abs(scales[j]) > maxAbsScale) {
        maxAbsScale = Math.abs(scales[j]);
        maxScale = scales[j];
      }
    }
    float iscale = maxScale != 0 ? -128f / maxScale : 0;
    putF16(s, o + 208, iscale != 0 ? 1 / iscale : 0);
    for (int j = 0; j < 16; j++) {
      s.set(ValueLayout.JAVA_BYTE, o + 192 + j, (byte) Math.min(127, nearest(iscale * scales[j])));
    }
    float d = Dequant.f16(s, o + 208);
    int[] q = new int[256];
    for (int j = 0; j < 16; j++) {
      float dd = d * s.get(ValueLayout.JAVA_BYTE, o + 192 + j);
      for (int l = 0; l < 16; l++) {
        q[16 * j + l] = dd == 0 ? 32 : Math.clamp(nearest(x[xo + 16 * j + l] / dd), -32, 31) + 32;
      }
    }
    for (int n = 0; n < 2; n++) {
      long ql = o + 64 * n, qh = o + 128 + 32 * n;
      int b = 128 * n;
      for (int l = 0; l < 32; l++) {
        int q1 = q[b + l], q2 = q[b + l + 32], q3 = q[b + l + 64], q4 = q[b + l + 96];
        s.set(ValueLayout.JAVA_BYTE, ql + l, (byte) ((q1 & 0xF) | (q3 & 0xF) << 4));
        s.set(ValueLayout.JAVA_BYTE, ql + l + 32, (byte) ((q2 & 0xF) | (q4 & 0xF) << 4));
        s.set(ValueLayout.JAVA_BYTE, qh + l, (byte) ((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6));
      }
    }
  }

  private static void orByte(MemorySegment s, long off, int bits) {
    s.set(ValueLayout.JAVA_BYTE, off, (byte) (s.get(ValueLayout.JAVA_BYTE, off) | bits));
  }
}
