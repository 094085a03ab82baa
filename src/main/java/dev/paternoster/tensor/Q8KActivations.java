package dev.paternoster.tensor;

import java.util.Objects;

/**
 * A batch of token activations quantized to llama.cpp's Q8_K (the {@code vec_dot_type} of Q4_K,
 * Q5_K and Q6_K weights), laid out for {@link KQuantDot}. Quantize once, multiply by every K-quant
 * weight that reads the same input.
 *
 * <p>Per 256-value super-block, as {@code quantize_row_q8_K}: {@code max} = the value of largest
 * magnitude (its sign kept), {@code iscale = -127/max}, {@code q = min(127, rint(iscale*x))},
 * {@code d = 1/iscale}, and {@code bsums[i]} = the sum of the 16 quants {@code 16i..16i+15}. An
 * all-zero super-block has {@code d = 0} and zero quants.
 *
 * <p>Layout: the quants as floats holding the integers, 32-value chunk c of token t at
 * {@code a[(t * chunks + c) * 64 ..]} as four 16-float vectors {@code A_k[h*8 + m] = q[32c + 4m + k]}
 * for both halves h (the lane layout of {@link Q8Activations}: lane m collects llama.cpp's lane m
 * positions, the two halves meet the two rows of a row pair). Per token and super-block:
 * {@code d[t * supers + b]}, {@code bsums[(t * supers + b) * 16 + i]}.
 */
public final class Q8KActivations {
  static final int BLOCK_FLOATS = 64;

  int nTokens, cols, chunks, supers;
  float[] a = new float[0];
  float[] d = new float[0];
  int[] bsums = new int[0];
  /**
   * Per token and super-block, 48 floats for the kernels' min and offset terms: at {@code +0},
   * lanes {@code h*8 + j} = {@code bsums[2j] + bsums[2j+1]} (the 32-value sub-block sums); at
   * {@code +16} and {@code +32}, lanes {@code h*8 + m} = {@code bsums[2m]} and {@code bsums[2m+1]}.
   */
  float[] sums = new float[0];
  static final int SUMS = 48;

  public int tokens() {
    return nTokens;
  }

  public int cols() {
    return cols;
  }

  /** The integer quant of element i of token t. */
  public int quant(int t, int i) {
    int c = i / 32, e = i % 32;
    return (int) a[(t * chunks + c) * BLOCK_FLOATS + (e % 4) * 16 + e / 4];
  }

  /** The scale of super-block b of token t. */
  public float scale(int t, int b) {
    return d[t * supers + b];
  }

  /** The sum of quants {@code 16i .. 16i+15} of super-block b of token t. */
  public int bsum(int t, int b, int i) {
    return bsums[(t * supers + b) * 16 + i];
  }

  /**
   * Quantizes tokens {@code t < nTokens}, token t's values being {@code x[xOff + t*xStride ..][0..cols)};
   * cols must be a multiple of 256. Large batches are split over {@code pool} by token.
   */
  public void quantize(float[] x, int xOff, int xStride, int nTokens, int cols, Parallel pool) {
    if (cols % 256 != 0) throw new IllegalArgumentException("Q8_K activations need a multiple of 256 values, got " + cols);
    Objects.checkFromIndexSize(xOff, (long) (nTokens - 1) * xStride + cols, x.length);
    this.nTokens = nTokens;
    this.cols = cols;
    this.chunks = cols / 32;
    this.supers = cols / 256;
    int need = nTokens * supers;
    if (d.length < need) {
      d = new float[need];
      bsums = new int[need * 16];
      sums = new float[need * SUMS];
      a = new float[need * 8 * BLOCK_FLOATS];
    }
    Q8Activations.eachToken(pool, nTokens, cols, t -> token(x, xOff + t * xStride, t));
  }

  private void token(float[] x, int xo, int t) {
    for (int b = 0; b < supers; b++) {
      int base = xo + 256 * b, tb = t * supers + b;
      float max = 0f, amax = 0f;
      for (int j = 0; j < 256; j++) {
        float v = x[base + j], av = Math.abs(v);
        if (av > amax) { // the first value of largest magnitude, as llama.cpp's scan
          amax = av;
          max = v;
        }
      }
      int o = tb * 8 * BLOCK_FLOATS;
      if (amax == 0f) {
        d[tb] = 0f;
        java.util.Arrays.fill(bsums, tb * 16, tb * 16 + 16, 0); // (sums follow bsums below)
        java.util.Arrays.fill(a, o, o + 8 * BLOCK_FLOATS, 0f);
        continue;
      }
      float iscale = -127f / max;
      d[tb] = 1f / iscale;
      for (int i = 0; i < 16; i++) {
        int sum = 0;
        for (int j = 16 * i; j < 16 * i + 16; j++) {
          int q = Math.min(127, (int) Math.rint(iscale * x[base + j]));
          sum += q;
          int c = j / 32, e = j % 32, at = o + c * BLOCK_FLOATS + (e % 4) * 16 + e / 4;
          a[at] = q;
          a[at + 8] = q;
        }
        bsums[tb * 16 + i] = sum;
      }
    }
    for (int b = 0; b < supers; b++) {
      int tb = t * supers + b, o = tb * SUMS;
      for (int h = 0; h < 2; h++) {
        for (int j = 0; j < 8; j++) {
          int s0 = bsums[tb * 16 + 2 * j], s1 = bsums[tb * 16 + 2 * j + 1];
          sums[o + h * 8 + j] = s0 + s1;
          sums[o + 16 + h * 8 + j] = s0;
          sums[o + 32 + h * 8 + j] = s1;
        }
      }
    }
  }
}
