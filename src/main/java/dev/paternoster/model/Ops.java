package dev.paternoster.model;

/** Element-wise operations of the forward pass; each token row is computed independently. */
final class Ops {
  private Ops() {}

  /** {@code out[row] = x[row] / rms(x[row]) * w} for one row of length n (llama.cpp's rms_norm). */
  static void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] w, int n, float eps) {
    double ss = 0;
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      ss += v * v;
    }
    // as ggml_compute_forward_rms_norm_f32: F32 squares summed in double, then F32 mean, sqrtf, division
    float mean = (float) (ss / n);
    float scale = 1f / (float) Math.sqrt(mean + eps);
    for (int i = 0; i < n; i++) out[outOff + i] = x[xOff + i] * scale * w[i];
  }

  /**
   * {@code gate = silu(gate) * up} over {@code rows} rows of length n, as llama.cpp's
   * {@code ggml_vec_swiglu_f32} computes each row (see {@link GgmlVec#swigluRow}).
   */
  static void swiglu(float[] gate, float[] up, int rows, int n) {
    for (int r = 0; r < rows; r++) GgmlVec.swigluRow(gate, up, r * n, n);
  }

  static void add(float[] x, float[] y, int off, int n) {
    for (int i = off; i < off + n; i++) x[i] += y[i];
  }

  /** Adds a bias vector to each of n rows of length len. */
  static void addBias(float[] x, float[] bias, int rows) {
    int len = bias.length;
    for (int r = 0; r < rows; r++) {
      int o = r * len;
      for (int i = 0; i < len; i++) x[o + i] += bias[i];
    }
  }
}
