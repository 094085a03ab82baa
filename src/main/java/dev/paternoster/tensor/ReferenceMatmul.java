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
    llamaCpp(w, x, nTokens, null, out);
  }

  /**
   * As {@link #llamaCpp(Weight, float[], int, float[])}, tokens with {@code promptRows[t]} multiplied
   * as llama.cpp multiplies a prompt's rows (repacked Q4_K only: its gemm chain).
   */
  public static void llamaCpp(Weight w, float[] x, int nTokens, boolean[] promptRows, float[] out) {
    switch (w.type()) {
      case Q4_K, Q5_K, Q6_K -> {
        llamaCppK(w, x, nTokens, promptRows, out);
        return;
      }
      default -> { }
    }
    int cols = w.cols(), rows = w.rows(), nb = cols / 32;
    boolean q8 = w.type() == GGMLType.Q8_0;
    if (!q8 && w.type() != GGMLType.Q4_0) throw new IllegalArgumentException("Q8_0, Q4_0 or K-quant weights only, not " + w.type());
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

  /**
   * K-quant weights as llama.cpp's x86 (AVX2) CPU backend multiplies them: each token quantized to
   * Q8_K ({@code iscale = -127/max} of the signed largest value, {@code q = min(127, rint(iscale*x))},
   * {@code d = 1/iscale}, 16-value {@code bsums}), then per row and super-block the exact integer
   * sums, converted to float and accumulated as the kernels do:
   * <ul>
   *   <li>Q6_K ({@code ggml_vec_dot_q6_K_q8_K}): 8 lanes, lane m = sum over chunks c of
   *       {@code sc[(32c+4m+k)/16] * q_unsigned * a} at positions 32c+4m+k, minus
   *       {@code 32 * (bsums[2m]*sc[2m] + bsums[2m+1]*sc[2m+1])}; {@code acc[m] = fma(d, sumi[m], acc[m])};
   *       {@code hsum_float_8}.
   *   <li>Q5_K, and Q4_K matrices llama.cpp does not repack: the same lanes with the 32-value
   *       sub-block scales; mins through {@code bsums}: Q5_K one scalar {@code summs = fma(-d*dmin, isum, summs)},
   *       Q4_K four lanes {@code accM[t]} ({@code _mm_madd_epi16} pairs of sub-blocks).
   *   <li>Q4_K matrices with a multiple of 8 rows except {@code token_embd} (llama.cpp repacks them to
   *       {@code q4_K_8x8}): one chain per (row, token), {@code acc = fma(isum, d_w*d_a, acc)} and
   *       {@code accMin = fma(imin, dmin_w*d_a, accMin)} per super-block (gemv; for prompt rows, gemm:
   *       per 64 values instead), result {@code acc - accMin}.
   * </ul>
   */
  static void llamaCppK(Weight w, float[] x, int nTokens, boolean[] promptRows, float[] out) {
    int cols = w.cols(), rows = w.rows(), nsb = cols / 256;
    int[] q = new int[cols], bs = new int[cols / 16];
    float[] d = new float[nsb];
    for (int t = 0; t < nTokens; t++) {
      java.util.Arrays.fill(bs, 0);
      for (int b = 0; b < nsb; b++) {
        float max = 0f, amax = 0f;
        for (int j = 0; j < 256; j++) {
          float v = x[t * cols + 256 * b + j];
          if (Math.abs(v) > amax) {
            amax = Math.abs(v);
            max = v;
          }
        }
        if (amax == 0f) {
          d[b] = 0f;
          for (int j = 0; j < 256; j++) q[256 * b + j] = 0;
          continue;
        }
        float iscale = -127f / max;
        d[b] = 1f / iscale;
        for (int j = 0; j < 256; j++) {
          q[256 * b + j] = Math.min(127, (int) Math.rint(iscale * x[t * cols + 256 * b + j]));
          bs[16 * b + j / 16] += q[256 * b + j];
        }
      }
      boolean gemm = promptRows != null && promptRows[t];
      for (int r = 0; r < rows; r++) out[t * rows + r] = llamaCppKRow(w, r, q, d, bs, gemm);
    }
  }

  /** Row r of K-quant weights times one token's Q8_K quants {@code q}, scales {@code d} and block sums {@code bs}. */
  static float llamaCppKRow(Weight w, int r, int[] q, float[] d, int[] bs, boolean gemm) {
    java.lang.foreign.MemorySegment s = w.data();
    int nsb = w.cols() / 256;
    return switch (w.type()) {
      case Q6_K -> q6K(s, w.rowOffset(r), nsb, q, d, bs);
      case Q5_K -> q5K(s, w.rowOffset(r), nsb, q, d, bs);
      case Q4_K -> KQuantDot.repacked(w) ? q4KRepacked(s, w.rowOffset(r), nsb, q, d, bs, gemm)
          : q4K(s, w.rowOffset(r), nsb, q, d, bs);
      default -> throw new IllegalArgumentException("not a K-quant: " + w.type());
    };
  }

  private static int u8(java.lang.foreign.MemorySegment s, long at) {
    return s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at) & 0xff;
  }

  private static float f16(java.lang.foreign.MemorySegment s, long at) {
    return Float.float16ToFloat(s.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, at));
  }

  private static float hsum8(float[] a) {
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
  }

  /** Scale (low byte) and min (high byte) of 32-value sub-block j of a Q4_K/Q5_K super-block at p. */
  private static int scaleMin(java.lang.foreign.MemorySegment s, long p, int j) {
    long sc = p + 4;
    int scale = j < 4 ? u8(s, sc + j) & 63 : (u8(s, sc + j + 4) & 0xF) | ((u8(s, sc + j - 4) >> 6) << 4);
    int min = j < 4 ? u8(s, sc + j + 4) & 63 : (u8(s, sc + j + 4) >> 4) | ((u8(s, sc + j) >> 6) << 4);
    return scale | min << 8;
  }

  /** The 4-bit quant of element e of the Q4_K super-block at p (values 64g..64g+31 low nibbles of qs[32g..], the next 32 high). */
  private static int q4(java.lang.foreign.MemorySegment s, long p, int e) {
    int v = u8(s, p + 16 + 32L * (e / 64) + e % 32);
    return (e % 64) < 32 ? v & 0xF : v >> 4;
  }

  /** The 5-bit quant: the Q4_K nibble (qs at p+48) plus bit e/32 of qh[e%32] as bit 4. */
  private static int q5(java.lang.foreign.MemorySegment s, long p, int e) {
    int v = u8(s, p + 48 + 32L * (e / 64) + e % 32);
    int lo = (e % 64) < 32 ? v & 0xF : v >> 4;
    return lo | ((u8(s, p + 16 + e % 32) >> (e / 32)) & 1) << 4;
  }

  /** The unsigned 6-bit quant (0..63) of element e of the Q6_K super-block at p. */
  private static int q6(java.lang.foreign.MemorySegment s, long p, int e) {
    int half = e / 128, l = e % 32, quarter = (e % 128) / 32;
    long ql = p + 64L * half + (quarter % 2 == 1 ? 32 : 0);
    int lo = quarter < 2 ? u8(s, ql + l) & 0xF : u8(s, ql + l) >> 4;
    int hi = (u8(s, p + 128 + 32L * half + l) >> (2 * quarter)) & 3;
    return lo | hi << 4;
  }

  private static float q6K(java.lang.foreign.MemorySegment s, long row, int nsb, int[] q, float[] d, int[] bs) {
    float[] acc = new float[8];
    for (int b = 0; b < nsb; b++) {
      long p = row + 210L * b;
      int[] sumi = new int[8];
      for (int e = 0; e < 256; e++) {
        int sc = s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, p + 192 + e / 16);
        sumi[(e % 32) / 4] += sc * q6(s, p, e) * q[256 * b + e];
      }
      for (int m = 0; m < 8; m++) {
        int sc0 = s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, p + 192 + 2 * m);
        int sc1 = s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, p + 192 + 2 * m + 1);
        sumi[m] -= 32 * (bs[16 * b + 2 * m] * sc0 + bs[16 * b + 2 * m + 1] * sc1);
        acc[m] = Math.fma(d[b] * f16(s, p + 208), (float) sumi[m], acc[m]);
      }
    }
    return hsum8(acc);
  }

  /** Lane sums of a Q4_K (five = false) or Q5_K super-block: sub-block scale x quant x activation. */
  private static int[] laneSums(java.lang.foreign.MemorySegment s, long p, boolean five, int[] q, int b) {
    int[] sumi = new int[8];
    for (int e = 0; e < 256; e++) {
      int wq = five ? q5(s, p, e) : q4(s, p, e);
      sumi[(e % 32) / 4] += (scaleMin(s, p, e / 32) & 0xFF) * wq * q[256 * b + e];
    }
    return sumi;
  }

  /** {@code min[2t]*(bs[4t]+bs[4t+1]) + min[2t+1]*(bs[4t+2]+bs[4t+3])}: lane t of {@code _mm_madd_epi16}. */
  private static int minPair(java.lang.foreign.MemorySegment s, long p, int[] bs, int b, int t) {
    int sum = 0;
    for (int j = 2 * t; j < 2 * t + 2; j++) sum += (scaleMin(s, p, j) >> 8) * (bs[16 * b + 2 * j] + bs[16 * b + 2 * j + 1]);
    return sum;
  }

  private static float q5K(java.lang.foreign.MemorySegment s, long row, int nsb, int[] q, float[] d, int[] bs) {
    float[] acc = new float[8];
    float summs = 0f;
    for (int b = 0; b < nsb; b++) {
      long p = row + 176L * b;
      float dd = d[b] * f16(s, p), dmin = -d[b] * f16(s, p + 2);
      int isum = minPair(s, p, bs, b, 0) + minPair(s, p, bs, b, 1) + minPair(s, p, bs, b, 2) + minPair(s, p, bs, b, 3);
      summs = Math.fma(dmin, (float) isum, summs);
      int[] sumi = laneSums(s, p, true, q, b);
      for (int m = 0; m < 8; m++) acc[m] = Math.fma(dd, (float) sumi[m], acc[m]);
    }
    return hsum8(acc) + summs;
  }

  private static float q4K(java.lang.foreign.MemorySegment s, long row, int nsb, int[] q, float[] d, int[] bs) {
    float[] acc = new float[8], accM = new float[4];
    for (int b = 0; b < nsb; b++) {
      long p = row + 144L * b;
      float dd = d[b] * f16(s, p), dmin = -d[b] * f16(s, p + 2);
      for (int t = 0; t < 4; t++) accM[t] = Math.fma(dmin, (float) minPair(s, p, bs, b, t), accM[t]);
      int[] sumi = laneSums(s, p, false, q, b);
      for (int m = 0; m < 8; m++) acc[m] = Math.fma(dd, (float) sumi[m], acc[m]);
    }
    return hsum8(acc) + ((accM[0] + accM[2]) + (accM[1] + accM[3]));
  }

  private static float q4KRepacked(java.lang.foreign.MemorySegment s, long row, int nsb, int[] q, float[] d, int[] bs, boolean gemm) {
    float acc = 0f, accMin = 0f;
    for (int b = 0; b < nsb; b++) {
      long p = row + 144L * b;
      float ds = f16(s, p) * d[b], dms = f16(s, p + 2) * d[b];
      int isum = 0, imin = 0;
      for (int j = 0; j < 8; j++) {
        int sum = 0;
        for (int e = 32 * j; e < 32 * j + 32; e++) sum += q4(s, p, e) * q[256 * b + e];
        int sm = scaleMin(s, p, j);
        isum += (sm & 0xFF) * sum;
        imin += (sm >> 8) * (bs[16 * b + 2 * j] + bs[16 * b + 2 * j + 1]);
        if (gemm && j % 2 == 1) {
          acc = Math.fma((float) isum, ds, acc);
          accMin = Math.fma((float) imin, dms, accMin);
          isum = 0;
          imin = 0;
        }
      }
      if (!gemm) {
        acc = Math.fma((float) isum, ds, acc);
        accMin = Math.fma((float) imin, dms, accMin);
      }
    }
    return acc - accMin;
  }
}
