package dev.paternoster.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import jdk.incubator.vector.ShortVector;

/**
 * Q4_0 and Q8_0 matrices copied so that one 512-bit vector holds one quant of 32 rows, multiplied
 * by {@link Q8Activations} in 16-bit integer lanes, bit for bit as {@link QuantDot} computes them
 * but without decoding weights to floats: {@link InterleavedQ4} (llama.cpp's repacked Q4_0 order),
 * {@link InterleavedQ4Chains} and {@link InterleavedQ8Chains} (its {@code vec_dot} order).
 *
 * <p>Layout, per group of 32 rows: each block's scales as 32 floats and its quant bytes in chunks
 * of 32, byte l of a chunk from row {@link #rowOfLane rowOfLane(l)}: per block, Q4_0 has 16 chunks,
 * chunk k holding byte k of each row's block (low nibble: quant k, high nibble: quant k+16), Q8_0
 * 32, chunk k holding quant k. The order follows the kernel's passes over the group. The repacked
 * Q4_0 kernel reads blocks whole, in one pass: block after block, scales then chunks (with the
 * scales of all blocks apart from their chunks, one-token decoding of a large matrix ran at half
 * the speed). The {@code vec_dot} kernels read a quarter of every block per pass: block after
 * block, scales and pass 0's chunks, then pass 1's chunks of every block, then pass 2's... (read in
 * place, a pass would take a quarter of each run of cache lines, and the prefetchers did not
 * follow). Lanes alternate between rows {@code j} and {@code 16+j}, so that a short vector seen as
 * ints gives rows 0..15 in the low halves and rows 16..31 in the high halves, and the float scales
 * and accumulators follow in row order. Rows past the end of the matrix have zero scales and
 * quants.
 *
 * <p>The copy is made as the model loads ({@link Matmul#prepare}), else at the matrix's first
 * multiplication, and lives off-heap, as llama.cpp keeps its repacked weights in their own buffer;
 * the mapped original is no longer read there, and the system may drop its pages.
 */
final class Interleaved implements Parallel.RangeTask {
  /** Rows per group: the 32 short lanes of a 512-bit vector. */
  static final int ROWS = 32;
  /** Bytes of a block's scales in a group: 32 floats. */
  static final int SCALES = 4 * ROWS;

  /**
   * Whether this machine runs 512-bit short vectors (AVX-512BW): otherwise QuantDot multiplies
   * (as it does with {@code -Dpaternoster.interleaved=false}, for comparisons).
   */
  static final boolean SUPPORTED = QuantDot.VECTOR && ShortVector.SPECIES_PREFERRED.length() >= 32
      && Boolean.parseBoolean(System.getProperty("paternoster.interleaved", "true"));

  /**
   * Repacked copies, kept as long as their weight is: for the kernels of llama.cpp's orders, and
   * for {@link #gemvOnly}. A {@code Weight} compares its segment by address, so a copy also
   * remembers the scope of the bytes it was made from: a later mapping at the same address (another
   * model loaded after one was closed) must not find the old copy.
   */
  private static final Map<Weight, Copy> PACKED = Collections.synchronizedMap(new WeakHashMap<>());
  private static final Map<Weight, Copy> PACKED_GEMV = Collections.synchronizedMap(new WeakHashMap<>());

  /** A copy, or {@link #NONE}, and the scope of the weight's bytes when it was made. */
  private record Copy(Packed packed, MemorySegment.Scope source) {}

  /** A repacked matrix: {@code groups} groups of {@code blocks} blocks of {@code blockBytes}. */
  record Packed(MemorySegment data, int rows, int blocks, int groups, int blockBytes) {
    /** Where group g starts: its first block's scales. */
    long scales(int g) {
      return (long) g * blocks * blockBytes;
    }
  }

  /** Which kernel multiplies a matrix. */
  private enum Kernel { Q4_REPACKED, Q4_CHAINS, Q8_CHAINS }

  /**
   * Whether {@code w} is multiplied in the repacked order whatever llama.cpp does with it: Q4_0
   * under {@code --numerics fast}, where the token embedding (a tied model's output matrix) and
   * row counts off a multiple of 8 then take the faster kernel too. Exact sums and a fixed order
   * per matrix all the same, so batch invariance holds.
   */
  static boolean gemvOnly(Weight w, boolean llamaCppOrder) {
    return !llamaCppOrder && w.type() == GGMLType.Q4_0;
  }

  private static Kernel kernel(Weight w, boolean llamaCppOrder) {
    if (w.type() == GGMLType.Q8_0) return Kernel.Q8_CHAINS;
    return gemvOnly(w, llamaCppOrder) || QuantDot.repacked(w) ? Kernel.Q4_REPACKED : Kernel.Q4_CHAINS;
  }

  private static final ThreadLocal<Interleaved> PER_THREAD = ThreadLocal.withInitial(Interleaved::new);
  /** A thread's row sums of one tile, before they are copied out. */
  private static final ThreadLocal<float[]> TILE_OUT = ThreadLocal.withInitial(() -> new float[2 * ROWS * InterleavedQ4.TILE]);
  /** A thread's chains of one {@code vec_dot} tile. */
  private static final ThreadLocal<float[]> CHAINS = ThreadLocal.withInitial(() -> new float[InterleavedQ4Chains.CHAIN_FLOATS]);

  private Packed p;
  private Kernel kernel;
  private Q8Activations x;
  private float[] out;
  private int outOff, outStride;

  /** Whether {@code w} is multiplied here: a Q4_0 or Q8_0 matrix, on a machine with 512-bit shorts. */
  static boolean applies(Weight w) {
    return SUPPORTED && (w.type() == GGMLType.Q4_0 || w.type() == GGMLType.Q8_0);
  }

  /** The row that short lane l of a group holds: 0, 16, 1, 17, ... */
  static int rowOfLane(int l) {
    return (l & 1) == 0 ? l >> 1 : 16 + (l >> 1);
  }

  /** What {@link #PACKED} holds for a matrix there was no memory to copy. */
  private static final Packed NONE = new Packed(MemorySegment.NULL, 0, 0, 0, 0);
  /** Memory left free after a copy: the rest of the process (KV cache, heap) needs room too. */
  private static final long RESERVE = 1L << 30;
  private static final System.Logger LOG = System.getLogger(Interleaved.class.getName());

  /**
   * {@code w} repacked for the kernel of {@code llamaCppOrder} (see {@link #gemvOnly}): once, split
   * over {@code pool}; later calls return the same copy while {@code w} is reachable. Null if the
   * machine has not the memory for the copy: then QuantDot multiplies it, with the same bits, more
   * slowly. (The mapped file's pages count as available: the copy takes their place in memory, as
   * the kernels no longer read them.)
   */
  static Packed packed(Weight w, Parallel pool, boolean llamaCppOrder) {
    Kernel kernel = kernel(w, llamaCppOrder);
    Map<Weight, Copy> copies = gemvOnly(w, llamaCppOrder) ? PACKED_GEMV : PACKED;
    synchronized (PACKED) {
      Copy c = copies.get(w);
      if (c == null || !c.source().equals(w.data().scope())) {
        copies.remove(w); // a stale entry keeps its old key, which would take the new copy with it
        Packed p = affordable(bytes(w)) ? repack(w, pool, kernel == Kernel.Q4_REPACKED ? 1 : 4) : declined(w);
        c = new Copy(p, w.data().scope());
        copies.put(w, c);
      }
      return c.packed() == NONE ? null : c.packed();
    }
  }

  private static Packed declined(Weight w) {
    LOG.log(System.Logger.Level.WARNING, "{0}: no memory for the integer kernels'' copy ({1} MiB), multiplied from the mapped file",
        w.name(), bytes(w) >> 20);
    return NONE;
  }

  /** Bytes of {@code w}'s copy. */
  static long bytes(Weight w) {
    return (long) groups(w) * (w.cols() / 32) * blockBytes(w.type());
  }

  /** Groups of 32 rows in {@code w}, the last one padded. */
  private static int groups(Weight w) {
    return (w.rows() + ROWS - 1) / ROWS;
  }

  /** Quant chunks per block: a Q4_0 block's 16 bytes hold two quants each, Q8_0's 32 one. */
  private static int chunks(GGMLType t) {
    return t == GGMLType.Q4_0 ? 16 : 32;
  }

  /** Bytes per (group, block): 32 float scales and the chunks. */
  static int blockBytes(GGMLType t) {
    return SCALES + chunks(t) * ROWS;
  }

  /** Whether {@code bytes} more fit in memory with {@link #RESERVE} to spare (Linux MemAvailable; elsewhere: yes). */
  static boolean affordable(long bytes) {
    try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/meminfo"))) {
      return lines.filter(l -> l.startsWith("MemAvailable:")).findFirst()
          .map(l -> bytes + RESERVE <= 1024L * Long.parseLong(l.replaceAll("[^0-9]", "")))
          .orElse(true);
    } catch (java.io.IOException | RuntimeException e) {
      return true;
    }
  }

  /** {@code w} in the interleaved layout for a kernel of 1 or 4 passes, the groups split over {@code pool} (null: this thread). */
  static Packed repack(Weight w, Parallel pool, int passes) {
    if (w.type() != GGMLType.Q4_0 && w.type() != GGMLType.Q8_0) throw new IllegalArgumentException(w.name() + ": not Q4_0 or Q8_0 but " + w.type());
    int chunks = chunks(w.type()), blocks = w.cols() / 32, groups = groups(w);
    Packed p = new Packed(Arena.ofAuto().allocate(bytes(w), 64), w.rows(), blocks, groups, blockBytes(w.type()));
    Parallel.RangeTask task = (g0, g1) -> {
      byte[] block = new byte[2 + chunks], quants = new byte[chunks * ROWS];
      float[] scales = new float[ROWS];
      for (int g = g0; g < g1; g++) repackGroup(w, p, g, chunks, passes, block, quants, scales);
    };
    if (pool != null) pool.forRange(groups, task);
    else task.run(0, groups);
    return p;
  }

  /** Group g of {@code w} into {@code p}, a block at a time: its 32 rows transposed on the heap, then copied out. */
  private static void repackGroup(Weight w, Packed p, int g, int chunks, int passes, byte[] block, byte[] quants, float[] scales) {
    MemorySegment src = w.data(), dst = p.data();
    long rowBytes = w.rowBytes(), scaleBase = p.scales(g);
    int perPass = chunks / passes, blocks = p.blocks();
    for (int b = 0; b < blocks; b++) {
      java.util.Arrays.fill(quants, (byte) 0);
      java.util.Arrays.fill(scales, 0f);
      for (int l = 0; l < ROWS; l++) {
        int j = rowOfLane(l), r = g * ROWS + j;
        if (r >= w.rows()) continue; // zero scale and quants
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, r * rowBytes + (long) b * block.length, block, 0, block.length);
        scales[j] = Float.float16ToFloat((short) ((block[0] & 0xFF) | block[1] << 8));
        for (int k = 0; k < chunks; k++) quants[k * ROWS + l] = block[2 + k];
      }
      if (passes == 1) { // block after block: scales, then chunks
        long to = scaleBase + (long) b * p.blockBytes();
        MemorySegment.copy(scales, 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, to, ROWS);
        MemorySegment.copy(quants, 0, dst, ValueLayout.JAVA_BYTE, to + SCALES, chunks * ROWS);
        continue;
      }
      // four passes: block after block, scales and pass 0's chunks; then pass 1's chunks of every block, ...
      long first = SCALES + (long) perPass * ROWS;
      MemorySegment.copy(scales, 0, dst, ValueLayout.JAVA_FLOAT_UNALIGNED, scaleBase + first * b, ROWS);
      MemorySegment.copy(quants, 0, dst, ValueLayout.JAVA_BYTE, scaleBase + first * b + SCALES, perPass * ROWS);
      for (int c = 1; c < passes; c++) {
        long to = scaleBase + first * blocks + ((long) (c - 1) * blocks + b) * perPass * ROWS;
        MemorySegment.copy(quants, c * perPass * ROWS, dst, ValueLayout.JAVA_BYTE, to, perPass * ROWS);
      }
    }
  }

  /**
   * {@code out[outOff + t*outStride + r] = dot(row r of w, token t of x)}, as {@link QuantDot#matmul};
   * false (nothing done) if there is no copy of {@code w} ({@link #packed}).
   */
  static boolean matmul(Weight w, Q8Activations x, float[] out, int outOff, int outStride, Parallel pool, boolean llamaCppOrder) {
    if (x.cols != w.cols()) throw new IllegalArgumentException(w.name() + ": " + w.cols() + " columns, activations have " + x.cols);
    Packed p = packed(w, pool, llamaCppOrder);
    if (p == null) return false;
    Interleaved task = PER_THREAD.get();
    task.p = p;
    task.kernel = kernel(w, llamaCppOrder);
    task.x = x;
    task.out = out;
    task.outOff = outOff;
    task.outStride = outStride;
    try {
      pool.forRange(p.groups, task);
    } finally {
      task.p = null;
      task.x = null;
      task.out = null;
    }
    return true;
  }

  @Override
  public void run(int g0, int g1) {
    if (kernel == Kernel.Q4_REPACKED) gemv(g0, g1);
    else chains(g0, g1, kernel == Kernel.Q8_CHAINS);
  }

  /** The repacked order, four tokens at a time, two groups at a time where there are two. */
  private void gemv(int g0, int g1) {
    Packed p = this.p;
    Q8Activations x = this.x;
    int nt = x.nTokens, blocks = p.blocks, cols = x.cols, tile = InterleavedQ4.TILE;
    float[] buf = TILE_OUT.get();
    int g = g0;
    if (nt >= tile) {
      for (; g + 2 <= g1; g += 2) {
        long base0 = p.scales(g), base1 = p.scales(g + 1);
        int t = 0;
        for (; t + tile <= nt; t += tile) {
          InterleavedQ4.tile4x2(p.data, base0, base1, blocks, x.qs, t * cols, cols, x.bias, x.d, t * blocks, buf);
          for (int i = 0; i < tile; i++) {
            store(g, t + i, buf, i * ROWS);
            store(g + 1, t + i, buf, 4 * ROWS + i * ROWS);
          }
        }
        for (; t < nt; t++) {
          for (int h = 0; h < 2; h++) {
            InterleavedQ4.tile1(p.data, p.scales(g + h), blocks, x.qs, t * cols, x.bias, x.d, t * blocks, buf);
            store(g + h, t, buf, 0);
          }
        }
      }
    }
    for (; g < g1; g++) {
      long base = p.scales(g);
      int t = 0;
      for (; t + tile <= nt; t += tile) {
        InterleavedQ4.tile4(p.data, base, blocks, x.qs, t * cols, cols, x.bias, x.d, t * blocks, buf);
        for (int i = 0; i < tile; i++) store(g, t + i, buf, i * ROWS);
      }
      for (; t < nt; t++) {
        InterleavedQ4.tile1(p.data, base, blocks, x.qs, t * cols, x.bias, x.d, t * blocks, buf);
        store(g, t, buf, 0);
      }
    }
  }

  /** The vec_dot order, two tokens at a time. */
  private void chains(int g0, int g1, boolean q8) {
    Packed p = this.p;
    Q8Activations x = this.x;
    int nt = x.nTokens, blocks = p.blocks, cols = x.cols;
    float[] buf = TILE_OUT.get(), lanes = CHAINS.get();
    for (int g = g0; g < g1; g++) {
      long base = p.scales(g);
      int t = 0;
      for (; t + 2 <= nt; t += 2) {
        if (q8) InterleavedQ8Chains.tile2(p.data, base, blocks, x.qs, t * cols, cols, x.d, t * blocks, lanes, buf);
        else InterleavedQ4Chains.tile2(p.data, base, blocks, x.qs, t * cols, cols, x.d, t * blocks, lanes, buf);
        store(g, t, buf, 0);
        store(g, t + 1, buf, ROWS);
      }
      for (; t < nt; t++) {
        if (q8) InterleavedQ8Chains.tile1(p.data, base, blocks, x.qs, t * cols, cols, x.d, t * blocks, lanes, buf);
        else InterleavedQ4Chains.tile1(p.data, base, blocks, x.qs, t * cols, cols, x.d, t * blocks, lanes, buf);
        store(g, t, buf, 0);
      }
    }
  }

  private void store(int g, int t, float[] buf, int bo) {
    int r0 = g * ROWS, n = Math.min(ROWS, p.rows - r0);
    System.arraycopy(buf, bo, out, outOff + t * outStride + r0, n);
  }
}
