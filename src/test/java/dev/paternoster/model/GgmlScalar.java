package dev.paternoster.model;

import dev.paternoster.tensor.LibM;

/**
 * Test oracle: llama.cpp's CPU arithmetic for softmax, SwiGLU and F16 flash attention written out
 * one scalar at a time, straight from the C kernels (AVX-512 build), with no vector code.
 */
final class GgmlScalar {
  private GgmlScalar() {}

  /** {@code ggml_v_expf}, AVX-512 variant, one lane. */
  static float vexpf(float x) {
    final float r = 0x1.8p23f;
    float z = Math.fma(x, 0x1.715476p+0f, r);
    float n = z - r;
    float b = Math.fma(-n, 0x1.7f7d1cp-20f, Math.fma(-n, 0x1.62e4p-1f, x));
    float u = b * b;
    float j = Math.fma(
        Math.fma(Math.fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, Math.fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
        u, Math.fma(0x1.ffffecp-1f, b, 1.0f));
    if (Math.abs(n) > 192f) return n <= 0f ? 0f : Float.POSITIVE_INFINITY;
    // _mm512_scalef_ps: j * 2^n rounded once (the product is exact in double)
    return (float) ((double) j * Math.scalb(1.0, (int) n));
  }

  static float vsilu(float x) {
    return x / (1f + vexpf(0f - x));
  }

  static float silu(float x) {
    return x / (1f + LibM.expf(-x));
  }

  /** {@code ggml_vec_swiglu_f32}: groups of 16 with v_silu, the rest with silu. */
  static void swiglu(float[] x, float[] g, int off, int n) {
    int i = 0;
    for (; i + 16 <= n; i += 16) for (int l = 0; l < 16; l++) x[off + i + l] = vsilu(x[off + i + l]) * g[off + i + l];
    for (; i < n; i++) x[off + i] = silu(x[off + i]) * g[off + i];
  }

  /** GCC's {@code _mm512_reduce_add_ps}: 256-bit halves, 128-bit halves, then pairs. */
  static float reduce16(float[] a) {
    float[] t = new float[8];
    for (int i = 0; i < 8; i++) t[i] = a[i + 8] + a[i];
    float u0 = t[4] + t[0], u1 = t[5] + t[1], u2 = t[6] + t[2], u3 = t[7] + t[3];
    return (u0 + u2) + (u1 + u3);
  }

  /** {@code ggml_vec_dot_f32}: 4 accumulators of 16 lanes, pairwise combined, reduced, FMA tail. */
  static float vecDotF32(float[] x, float[] y, int n) {
    int np = n & ~63;
    float[][] acc = new float[4][16];
    for (int i = 0; i < np; i += 64) {
      for (int j = 0; j < 4; j++) for (int l = 0; l < 16; l++) acc[j][l] = Math.fma(x[i + 16 * j + l], y[i + 16 * j + l], acc[j][l]);
    }
    float[] s = new float[16];
    for (int l = 0; l < 16; l++) s[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
    float sum = reduce16(s);
    for (int i = np; i < n; i++) sum = Math.fma(x[i], y[i], sum);
    return sum;
  }

  /** {@code ggml_vec_dot_f16} on values already widened from F16: SIMD part as F32, tail in double. */
  static float vecDotF16(float[] x, float[] y, int n) {
    int np = n & ~63;
    double sum = np > 0 ? vecDotF32(x, y, np) : 0;
    for (int i = np; i < n; i++) sum += (double) (x[i] * y[i]);
    return (float) sum;
  }

  static float h(float x) {
    return Float.float16ToFloat(Float.floatToFloat16(x));
  }

  /**
   * {@code ggml_compute_forward_flash_attn_ext_f16_one_chunk} for one query row against keys and
   * values (already F16 values) at positions 0..count-1, all visible.
   */
  static float[] flashF16(float[] q, float[][] k, float[][] v, int count, float scale) {
    int d = q.length;
    float[] qh = new float[d];
    for (int i = 0; i < d; i++) qh[i] = h(q[i]);
    float[] acc = new float[d];
    float m = Float.NEGATIVE_INFINITY, sum = 0f;
    for (int p = 0; p < count; p++) {
      float s = vecDotF16(k[p], qh, d) * scale;
      float mold = m, ms = 1f, vs = 1f;
      if (s > m) {
        m = s;
        ms = LibM.expf(mold - m);
        for (int i = 0; i < d; i++) acc[i] = h(acc[i] * ms);
      } else {
        vs = LibM.expf(s - m);
      }
      for (int i = 0; i < d; i++) acc[i] = h(Math.fma(v[p][i], vs, acc[i]));
      sum = Math.fma(sum, ms, vs);
    }
    float inv = sum == 0f ? 0f : 1f / sum;
    float[] out = new float[d];
    for (int i = 0; i < d; i++) out[i] = acc[i] * inv;
    return out;
  }
}
