package dev.paternoster.tensor;

/**
 * The obviously-correct matmul the kernels are tested against: decode each row with
 * {@link Dequant}, accumulate each dot product in double. Slow; allocates.
 */
public final class ReferenceMatmul {
  private ReferenceMatmul() {}

  /** {@code out[t * w.rows() + r] = dot(row r of w, x[t*cols .. (t+1)*cols))} for all t, r. */
  public static void matmul(Weight w, float[] x, int nTokens, float[] out) {
    int cols = w.cols(), rows = w.rows();
    float[] row = new float[cols];
    for (int r = 0; r < rows; r++) {
      w.dequantizeRow(r, row, 0);
      for (int t = 0; t < nTokens; t++) {
        double s = 0;
        for (int i = 0; i < cols; i++) s += (double) row[i] * x[t * cols + i];
        out[t * rows + r] = (float) s;
      }
    }
  }
}
