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

  /**
   * What llama.cpp's x86 CPU backend computes for Q8_0 and Q4_0 weights, in plain scalar code
   * (the kernels in {@link QuantDot} are tested against it bit for bit): each token's activations
   * are quantized to Q8_0 ({@code d = f16(amax/127)}, {@code q = rint(x * 127/amax)}); Q8_0 rows
   * and Q4_0 rows of matrices llama.cpp does not repack use {@code ggml_vec_dot_*_q8_0}'s eight
   * lanes, Q4_0 matrices with a multiple of 8 rows (except {@code token_embd}) the repacked
   * kernels' single chain.
   */
  public static void llamaCpp(Weight w, float[] x, int nTokens, float[] out) {
    int cols = w.cols(), rows = w.rows(), nb = cols / 32;
    boolean q8 = w.type() == GGMLType.Q8_0;
    if (!q8 && w.type() != GGMLType.Q4_0) throw new IllegalArgumentException("Q8_0 or Q4_0 weights only, not " + w.type());
    boolean oneChain = !q8 && rows % 8 == 0 && !w.name().equals("token_embd.weight");
    int[] q = new int[cols];
    float[] d = new float[nb];
    int[] wq = new int[32];
    for (int t = 0; t < nTokens; t++) {
      for (int b = 0; b < nb; b++) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[t * cols + 32 * b + j]));
        float id = amax != 0f ? 127f / amax : 0f;
        d[b] = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
        for (int j = 0; j < 32; j++) q[32 * b + j] = (int) Math.rint(x[t * cols + 32 * b + j] * id);
      }
      for (int r = 0; r < rows; r++) {
        float[] acc = new float[8];
        float chain = 0f;
        for (int b = 0; b < nb; b++) {
          long p = w.rowOffset(r) + (long) b * w.type().blockBytes;
          float dw = Float.float16ToFloat(w.data().get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, p));
          for (int j = 0; j < 32; j++) {
            if (q8) {
              wq[j] = w.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, p + 2 + j);
            } else {
              int v = w.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, p + 2 + j % 16) & 0xFF;
              wq[j] = (j < 16 ? v & 0xF : v >> 4) - 8;
            }
          }
          float db = dw * d[b];
          if (oneChain) {
            int s = 0;
            for (int j = 0; j < 32; j++) s += wq[j] * q[32 * b + j];
            chain = Math.fma((float) s, db, chain);
          } else {
            for (int m = 0; m < 8; m++) {
              int s = 0;
              for (int k = 0; k < 4; k++) s += wq[4 * m + k] * q[32 * b + 4 * m + k];
              acc[m] = Math.fma(db, (float) s, acc[m]);
            }
          }
        }
        out[t * rows + r] = oneChain ? chain
            : ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
      }
    }
  }
}
