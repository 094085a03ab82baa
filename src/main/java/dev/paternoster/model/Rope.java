package dev.paternoster.model;

/**
 * Rotary position embeddings as llama.cpp applies them: interleaved pairs (2i, 2i+1) for the
 * {@code llama} architecture (its GGUF converter permutes Q/K for this), halves (i, i + d/2) for
 * NeoX-style models (qwen2, qwen3). Frequencies {@code base^(-2i/d)}, optionally divided by per-pair
 * factors (Llama 3 scaling, {@code rope_freqs.weight}) or by a linear factor.
 */
final class Rope {
  private final int headDim;
  private final boolean neox;

  private final float thetaScale;
  private final float freqScale;
  private final float[] freqFactors;

  Rope(ModelConfig c, float[] freqFactors) {
    this.headDim = c.headDim();
    this.neox = c.ropeNeox();
    this.freqFactors = freqFactors;
    // as ggml's rope: theta_scale = powf(freq_base, -2.0f/n_dims), computed in F32
    this.thetaScale = dev.paternoster.tensor.LibM.powf(c.ropeTheta(), -2.0f / headDim);
    this.freqScale = "linear".equals(c.ropeScaling()) ? 1f / c.ropeScaleFactor() : 1f;
  }

  /**
   * Fills {@code cos/sin[t * half + i]} for each token's position the way ggml_rope_cache_init does:
   * {@code theta} starts at the position (F32) and is multiplied by {@code theta_scale} in F32 once per
   * pair, so its rounding accumulates exactly as in llama.cpp; then {@code cosf/sinf(freq_scale * theta / ff)}.
   */
  void table(int[] positions, int n, float[] cos, float[] sin) {
    int half = headDim / 2;
    for (int t = 0; t < n; t++) {
      float theta = positions[t];
      for (int i = 0; i < half; i++) {
        float ff = freqFactors != null ? freqFactors[i] : 1f;
        float th = freqScale * (theta / ff);
        cos[t * half + i] = dev.paternoster.tensor.LibM.cosf(th);
        sin[t * half + i] = dev.paternoster.tensor.LibM.sinf(th);
        theta *= thetaScale;
      }
    }
  }

  /** Rotates {@code heads} heads of token t stored at {@code x[off ..]}. */
  void apply(float[] x, int off, int heads, int t, float[] cos, float[] sin) {
    int half = headDim / 2;
    int tb = t * half;
    for (int h = 0; h < heads; h++) {
      int base = off + h * headDim;
      for (int i = 0; i < half; i++) {
        int a = neox ? base + i : base + 2 * i;
        int b = neox ? base + i + half : base + 2 * i + 1;
        float c = cos[tb + i], s = sin[tb + i];
        float x0 = x[a], x1 = x[b];
        // ggml's rotate_pairs: x0*cos - x1*sin and x0*sin + x1*cos, each contracted by GCC into one FMA
        x[a] = Math.fma(x0, c, -(x1 * s));
        x[b] = Math.fma(x0, s, x1 * c);
      }
    }
  }
}
