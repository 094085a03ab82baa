package dev.paternoster.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread scratch for the matmul kernels, grown on demand and then reused (no per-call
 * allocation). The two segments the register tiles stream through are off-heap and aligned to 64
 * bytes: a float array's elements start 16 bytes into the object, so with AVX-512 every vector
 * load from an array straddles two cache lines. In isolation (weights and activations hot in
 * cache) the 8x3 tile ran at 45-50 GMAC/s on one core over arrays and at 70-78 over aligned
 * segments; inside a whole Q8_0 matmul of 32 tokens the gain is 5-8 % (decoding, the copies and
 * cache misses take the rest).
 */
final class Workspace {
  private static final ThreadLocal<Workspace> PER_THREAD = ThreadLocal.withInitial(Workspace::new);
  private static final long ALIGN = 64;

  /** Decoded weights: {@link MatmulTask#ROWS} rows of {@link MatmulTask#BLOCK_COLS} floats. */
  final float[] decoded = new float[MatmulTask.ROWS * MatmulTask.BLOCK_COLS];
  /** {@link #decoded}, copied to where the tiles read it (automatic arenas: freed with the workspace). */
  final MemorySegment alignedDecoded = Arena.ofAuto().allocate(4L * MatmulTask.ROWS * MatmulTask.BLOCK_COLS, ALIGN);
  /** A pass's activations, each token's row starting on a 64-byte boundary ({@link #activations}). */
  MemorySegment x = MemorySegment.NULL;
  /** Vector accumulators: one per (row of the group, token). */
  float[] acc = new float[0];
  /** Horizontal sums of up to L accumulators. */
  final float[] sums = new float[Lanes.L];

  static Workspace get(int nTokens) {
    Workspace ws = PER_THREAD.get();
    int need = MatmulTask.ROWS * Math.max(nTokens, MatmulTask.IN_ORDER_GROUPS) * Lanes.L;
    if (ws.acc.length < need) ws.acc = new float[need];
    return ws;
  }

  /** Floats between consecutive tokens in {@link #x}: {@code cols} rounded up to 16 (64 bytes). */
  static int activationStride(int cols) {
    return (cols + 15) & ~15;
  }

  /** {@link #x}, with room for {@code nTokens} rows of {@code cols} floats. */
  MemorySegment activations(int nTokens, int cols) {
    long need = 4L * nTokens * activationStride(cols);
    if (x.byteSize() < need) x = Arena.ofAuto().allocate(need, ALIGN);
    return x;
  }
}
