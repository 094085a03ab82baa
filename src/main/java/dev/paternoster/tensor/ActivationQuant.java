package dev.paternoster.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Rounds activations the way llama.cpp does before its dot products, so that Paternoster computes
 * what llama.cpp computes: for Q8_0/Q4_0 weights the activations become Q8_0 blocks of 32 (scale
 * stored as F16), for K-quants Q8_K blocks of 256 (F32 scale, {@code -128/max}), for F16 weights
 * F16 values, for BF16 weights BF16 values. F32 weights use F32 activations unchanged.
 */
public final class ActivationQuant {
  private ActivationQuant() {}

  /** The activation type llama.cpp pairs with weights of type {@code t}. */
  public static GGMLType dotType(GGMLType t) {
    return switch (t) {
      case Q8_0, Q4_0 -> GGMLType.Q8_0;
      case Q4_K, Q5_K, Q6_K -> GGMLType.Q8_K;
      case F16 -> GGMLType.F16;
      case BF16 -> GGMLType.BF16;
      default -> GGMLType.F32;
    };
  }

  /** Replaces {@code x[off..off+n)} by its rounded values for weights of type {@code weightType}. */
  public static void round(GGMLType weightType, float[] x, int off, int n, float[] dst, int dstOff) {
    switch (dotType(weightType)) {
      case Q8_0 -> q8_0(x, off, n, dst, dstOff);
      case Q8_K -> {
        for (int b = 0; b < n; b += 256) {
          float max = 0f, amax = 0f;
          for (int j = 0; j < 256; j++) {
            float v = x[off + b + j];
            if (Math.abs(v) > amax) {
              amax = Math.abs(v);
              max = v;
            }
          }
          if (amax == 0f) {
            for (int j = 0; j < 256; j++) dst[dstOff + b + j] = 0f;
            continue;
          }
          float iscale = -127f / max;
          float d = 1f / iscale;
          for (int j = 0; j < 256; j++) {
            int q = Math.min(127, (int) Math.rint(iscale * x[off + b + j]));
            dst[dstOff + b + j] = d * q;
          }
        }
      }
      case F16 -> { for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(Float.floatToFloat16(x[off + i])); }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          int bits = Float.floatToRawIntBits(x[off + i]);
          bits = (bits + (0x7fff + ((bits >>> 16) & 1))) & 0xffff0000; // round to nearest even
          dst[dstOff + i] = Float.intBitsToFloat(bits);
        }
      }
      default -> System.arraycopy(x, off, dst, dstOff, n);
    }
  }

  /**
   * As llama.cpp's x86 {@code quantize_row_q8_0}, kept as floats: per block of 32, {@code id =
   * 127/amax}, {@code round_half_even(x*id)}, times the scale rounded to F16. In vector lanes: the
   * same float products and the same rounding (|x*id| <= 127, far below 2^22; the sign bit put back
   * so that values in (-0.5, 0) give -0 as {@code Math.rint} does).
   */
  private static void q8_0(float[] x, int off, int n, float[] dst, int dstOff) {
    for (int b = 0; b < n; b += 32) {
      FloatVector m = FloatVector.zero(Lanes.F);
      for (int c = 0; c < 32; c += Lanes.L) m = m.max(FloatVector.fromArray(Lanes.F, x, off + b + c).abs());
      float amax = m.reduceLanes(VectorOperators.MAX);
      float id = Q8Activations.inverseScale(amax), dh = Q8Activations.scale(amax);
      for (int c = 0; c < 32; c += Lanes.L) {
        FloatVector v = FloatVector.fromArray(Lanes.F, x, off + b + c).mul(id);
        IntVector sign = v.reinterpretAsInts().and(0x80000000);
        FloatVector r = v.add(Q8Activations.ROUND).sub(Q8Activations.ROUND).reinterpretAsInts().or(sign).reinterpretAsFloats();
        r.mul(dh).intoArray(dst, dstOff + b + c);
      }
    }
  }
}
