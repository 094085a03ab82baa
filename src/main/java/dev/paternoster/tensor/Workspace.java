package dev.paternoster.tensor;

/** Per-thread scratch for the matmul kernels, grown on demand and then reused (no per-call allocation). */
final class Workspace {
  private static final ThreadLocal<Workspace> PER_THREAD = ThreadLocal.withInitial(Workspace::new);

  /** Decoded weights: {@link MatmulTask#ROWS} rows of {@link MatmulTask#BLOCK_COLS} floats. */
  final float[] decoded = new float[MatmulTask.ROWS * MatmulTask.BLOCK_COLS];
  /** Vector accumulators: one per (row of the group, token). */
  float[] acc = new float[0];

  static Workspace get(int nTokens) {
    Workspace ws = PER_THREAD.get();
    int need = MatmulTask.ROWS * nTokens * Lanes.L;
    if (ws.acc.length < need) ws.acc = new float[need];
    return ws;
  }
}
