package dev.paternoster.tensor;

/** Matrix times a batch of token vectors. */
public final class Matmul {
  private Matmul() {}

  public static void matmul(Weight w, float[] x, int nTokens, float[] out, Parallel pool) {
    int rows = w.rows(), cols = w.cols();
    long rowBytes = w.rowBytes();
    float[] xq = new float[nTokens * cols];
    String skip = java.util.Objects.requireNonNullElse(System.getenv("PN_SKIP"), "^$");
    for (int t = 0; t < nTokens; t++) {
      if (w.name().matches(skip)) System.arraycopy(x, t * cols, xq, t * cols, cols);
      else ActivationQuant.round(w.type(), x, t * cols, cols, xq, t * cols);
    }
    pool.forRange(rows, (start, end) -> {
      float[] row = new float[cols];
      for (int r = start; r < end; r++) {
        Dequant.row(w.type(), w.data(), r * rowBytes, row, 0, cols);
        for (int t = 0; t < nTokens; t++) {
          float sum = 0f;
          int xo = t * cols;
          for (int c = 0; c < cols; c++) sum += row[c] * xq[xo + c];
          out[t * rows + r] = sum;
        }
      }
    });
  }
}
