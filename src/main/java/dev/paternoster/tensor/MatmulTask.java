package dev.paternoster.tensor;

/**
 * One matmul call's arguments, reused across calls (one instance per calling thread) so that
 * handing work to {@link Parallel} allocates nothing.
 */
final class MatmulTask implements Parallel.RangeTask {
  private static final ThreadLocal<MatmulTask> PER_THREAD = ThreadLocal.withInitial(MatmulTask::new);
  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

  private Weight w;
  private float[] x;
  private int xOff, xStride, nTokens;
  private float[] out;
  private int outOff, outStride;

  static MatmulTask forCurrentThread() {
    return PER_THREAD.get();
  }

  void set(Weight w, float[] x, int xOff, int xStride, int nTokens, float[] out, int outOff, int outStride) {
    this.w = w;
    this.x = x;
    this.xOff = xOff;
    this.xStride = xStride;
    this.nTokens = nTokens;
    this.out = out;
    this.outOff = outOff;
    this.outStride = outStride;
  }

  void clear() {
    w = null;
    x = null;
    out = null;
  }

  /** Scratch for {@code n} decoded floats, owned by the current (worker) thread. */
  static float[] scratch(int n) {
    float[] s = SCRATCH.get();
    if (s.length < n) {
      s = new float[n];
      SCRATCH.set(s);
    }
    return s;
  }

  @Override
  public void run(int start, int end) {
    int cols = w.cols();
    float[] row = scratch(cols);
    for (int r = start; r < end; r++) {
      w.dequantizeRow(r, row, 0);
      for (int t = 0; t < nTokens; t++) {
        int xo = xOff + t * xStride;
        float s = 0;
        for (int i = 0; i < cols; i++) s = Math.fma(row[i], x[xo + i], s);
        out[outOff + t * outStride + r] = s;
      }
    }
  }
}
