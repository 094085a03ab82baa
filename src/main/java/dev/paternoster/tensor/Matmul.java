package dev.paternoster.tensor;

import java.util.Objects;

/**
 * Matrix × activations for a batch of tokens: {@code out[t][r] = dot(row r of W, x[t])}.
 *
 * <p>Threads split the rows of W (never the reduction), so each output is computed by one thread
 * from start to end. Batch invariance: the value computed for a token does not depend on how many
 * tokens share the call or where the token sits among them, bit for bit.
 */
public final class Matmul {
  private Matmul() {}

  /**
   * For every token {@code t < nTokens} and row {@code r < w.rows()}:
   * {@code out[t * w.rows() + r] = dot(row r of w, x[t*cols .. t*cols + cols))}.
   */
  public static void matmul(Weight w, float[] x, int nTokens, float[] out, Parallel pool) {
    matmul(w, x, 0, w.cols(), nTokens, out, 0, w.rows(), pool);
  }

  /**
   * Strided form: token {@code t}'s activations are {@code x[xOff + t*xStride ..][0..cols)} and
   * its outputs go to {@code out[outOff + t*outStride + r]}.
   */
  public static void matmul(
      Weight w, float[] x, int xOff, int xStride, int nTokens,
      float[] out, int outOff, int outStride, Parallel pool) {
    Objects.requireNonNull(pool, "pool");
    if (!w.type().supported) {
      throw new IllegalArgumentException(w.name() + ": no matmul kernel for weight type " + w.type());
    }
    if (nTokens <= 0) return;
    int cols = w.cols(), rows = w.rows();
    if (xStride < cols || outStride < rows) {
      throw new IllegalArgumentException(w.name() + ": strides (x " + xStride + ", out " + outStride
          + ") smaller than the matrix (" + rows + " x " + cols + ")");
    }
    Objects.checkFromIndexSize(xOff, (long) (nTokens - 1) * xStride + cols, x.length);
    Objects.checkFromIndexSize(outOff, (long) (nTokens - 1) * outStride + rows, out.length);
    MatmulTask task = MatmulTask.forCurrentThread();
    task.set(w, x, xOff, xStride, nTokens, out, outOff, outStride);
    try {
      pool.forRange(rows, task);
    } finally {
      task.clear();
    }
  }
}
