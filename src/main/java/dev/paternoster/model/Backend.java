package dev.paternoster.model;

import dev.paternoster.tensor.Weight;

/**
 * The heavy computations of a forward pass, kept behind one small interface so that another
 * backend (a GPU, say) can replace the CPU kernels without touching the engine or the loader.
 */
public interface Backend extends AutoCloseable {
  /** {@code out[t * w.rows() + r] = W[r] . x[t * w.cols() ..]} for every token t and row r. */
  void matmul(Weight w, float[] x, int nTokens, float[] out);

  /**
   * Called once for each matrix of a model as it loads, so that work done once per matrix (the CPU
   * backend's repacked copies) is not left to the first request.
   *
   * @return bytes of memory this took, beyond the mapped weights
   */
  default long prepare(Weight w) {
    return 0;
  }

  /**
   * Which rows of the following matmuls llama.cpp multiplies as part of a prompt ({@link Batch#promptRow});
   * null: none. Only a backend reproducing llama.cpp's arithmetic needs it.
   */
  default void promptRows(boolean[] rows) {}

  /** Whether this backend multiplies {@code w} differently for prompt rows ({@link #promptRows}). */
  default boolean ordersByPromptRow(Weight w) {
    return false;
  }

  /**
   * Several matrices applied to the same input (q/k/v, gate/up): {@code outs[i] = ws[i] . x}, as
   * {@link #matmul(Weight, float[], int, float[])} would compute each. A backend may prepare the
   * input once for all of them (the CPU backend quantizes it once).
   */
  default void matmul(Weight[] ws, float[] x, int nTokens, float[][] outs) {
    for (int i = 0; i < ws.length; i++) matmul(ws[i], x, nTokens, outs[i]);
  }

  /**
   * Causal attention over paged K/V for every (token, head) of the batch: writes
   * {@code out[t * qDim + h * headDim ..]} from {@code q} and the cache pages of the token's sequence.
   */
  void attention(PagedKvCache kv, int layer, float[] q, Batch batch, ModelConfig c, float[] out);

  /** Runs {@code task} over [0, n) split across the backend's threads. */
  void parallelFor(int n, dev.paternoster.tensor.Parallel.RangeTask task);

  @Override
  void close();
}
