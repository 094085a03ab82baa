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
  private final double[] invFreq;

  Rope(ModelConfig c, float[] freqFactors) {
    this.headDim = c.headDim();
    this.neox = c.ropeNeox();
    int half = headDim / 2;
    invFreq = new double[half];
    double linear = "linear".equals(c.ropeScaling()) ? 1.0 / c.ropeScaleFactor() : 1.0;
    for (int i = 0; i < half; i++) {
      double f = Math.pow(c.ropeTheta(), -2.0 * i / headDim) * linear;
      if (freqFactors != null) f /= freqFactors[i];
      invFreq[i] = f;
    }
  }

  /** Fills {@code cos/sin[t * half + i]} for each token's position. */
  void table(int[] positions, int n, float[] cos, float[] sin) {
    int half = headDim / 2;
    for (int t = 0; t < n; t++) {
      int pos = positions[t];
      for (int i = 0; i < half; i++) {
        double theta = pos * invFreq[i];
        cos[t * half + i] = (float) Math.cos(theta);
        sin[t * half + i] = (float) Math.sin(theta);
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
        x[a] = x0 * c - x1 * s;
        x[b] = x0 * s + x1 * c;
      }
    }
  }
}
