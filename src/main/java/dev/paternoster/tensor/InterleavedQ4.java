package dev.paternoster.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Q4_0 matrix repacked so that one 512-bit vector holds one quant of 32 rows, multiplied by
 * {@link Q8Activations} in 16-bit integer lanes, bit for bit as {@link QuantDot} computes it but
 * without decoding weights to floats. Here llama.cpp's repacked order
 * ({@code ggml_gemv/gemm_q4_0_8x8_q8_0}: per row and token, {@code acc = fma(isum_block, d_w*d_a, acc)}
 * block after block), for the matrices llama.cpp repacks; {@link InterleavedQ4Chains} has its
 * {@code vec_dot} order, for the others.
 *
 * <p>Why 16-bit lanes: a block's integer sum {@code sum((q-8) * a)} over 32 positions is at most
 * {@code 32 * 8 * 127 = 32512} in magnitude, so it fits a short. Each step multiplies 32 rows'
 * quants by one broadcast activation quant and adds (vpmullw, vpaddw): 32 multiply-adds for two
 * instructions, where the float kernels spend a conversion and an FMA on 16. The {@code -8} is
 * folded into the start value {@code -8 * sum(a)} of each block: the sums wrap modulo 2^16, and a
 * result known to lie in the short range is exact however the terms wrapped on the way.
 *
 * <p>Layout, per group of 32 rows and block of 32 columns ({@link #BLOCK_BYTES} bytes): the rows'
 * scales as 32 floats, then 16 chunks of 32 bytes, chunk k byte l = byte k of the block of row
 * {@code ROW_OF_LANE[l]} (low nibble: quant k, high nibble: quant k+16). Lanes alternate between
 * rows {@code j} and {@code 16+j}, so that a short vector seen as ints gives rows 0..15 in the low
 * halves and rows 16..31 in the high halves, and the float scales and accumulators follow in row
 * order. Rows past the end of the matrix have zero scales.
 *
 * <p>The copy lives off-heap, as llama.cpp keeps its repacked weights in their own buffer; the
 * mapped original is no longer read and the system may drop its pages.
 */
final class InterleavedQ4 implements Parallel.RangeTask {
  private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
  private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /** Rows per group: the 32 short lanes of a 512-bit vector. */
  static final int ROWS = 32;
  /** Bytes per (group, block): 32 float scales and 16 x 32 quant bytes. */
  static final int BLOCK_BYTES = 4 * ROWS + 16 * ROWS;
  /** Tokens per tile: four tokens' sums stay in registers while a chunk of weights is read once. */
  private static final int TILE = 4;

  /** Whether this machine runs 512-bit short vectors (AVX-512BW): otherwise QuantDot multiplies. */
  static final boolean SUPPORTED = QuantDot.VECTOR && ShortVector.SPECIES_PREFERRED.length() >= 32;

  /** Repacked copies, kept as long as their weight is. */
  private static final Map<Weight, Packed> PACKED = Collections.synchronizedMap(new WeakHashMap<>());

  /** A repacked matrix: {@code groups} groups of {@code blocks} blocks. */
  record Packed(MemorySegment data, int rows, int blocks, int groups) {}

  private static final ThreadLocal<InterleavedQ4> PER_THREAD = ThreadLocal.withInitial(InterleavedQ4::new);
  /** A thread's row sums of one tile, before they are copied out. */
  private static final ThreadLocal<float[]> TILE_OUT = ThreadLocal.withInitial(() -> new float[ROWS * TILE]);
  /** A thread's chains of one {@link InterleavedQ4Chains} tile. */
  private static final ThreadLocal<float[]> CHAINS = ThreadLocal.withInitial(() -> new float[InterleavedQ4Chains.CHAIN_FLOATS]);

  private Packed p;
  private boolean repacked;
  private Q8Activations x;
  private float[] out;
  private int outOff, outStride;

  /** Whether {@code w} is multiplied here: a Q4_0 matrix, on a machine with 512-bit shorts. */
  static boolean applies(Weight w) {
    return SUPPORTED && w.type() == GGMLType.Q4_0;
  }

  /** The row that short lane l of a group holds: 0, 16, 1, 17, ... */
  static int rowOfLane(int l) {
    return (l & 1) == 0 ? l >> 1 : 16 + (l >> 1);
  }

  /** {@code w} repacked (once; later calls return the same copy while {@code w} is reachable). */
  static Packed packed(Weight w) {
    synchronized (PACKED) {
      return PACKED.computeIfAbsent(w, InterleavedQ4::repack);
    }
  }

  static Packed repack(Weight w) {
    if (w.type() != GGMLType.Q4_0) throw new IllegalArgumentException(w.name() + ": not Q4_0 but " + w.type());
    int blocks = w.cols() / 32, groups = (w.rows() + ROWS - 1) / ROWS;
    MemorySegment dst = Arena.ofAuto().allocate((long) groups * blocks * BLOCK_BYTES, 64);
    MemorySegment src = w.data();
    long rowBytes = w.rowBytes();
    for (int g = 0; g < groups; g++) {
      for (int l = 0; l < ROWS; l++) {
        int j = rowOfLane(l), r = g * ROWS + j;
        if (r >= w.rows()) continue; // zero scale and quants (the allocation is zeroed)
        for (int b = 0; b < blocks; b++) {
          long from = r * rowBytes + b * 18L;
          long to = ((long) g * blocks + b) * BLOCK_BYTES;
          float d = Float.float16ToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, from));
          dst.set(ValueLayout.JAVA_FLOAT_UNALIGNED, to + 4L * j, d);
          for (int k = 0; k < 16; k++) {
            dst.set(ValueLayout.JAVA_BYTE, to + 4 * ROWS + k * ROWS + l, src.get(ValueLayout.JAVA_BYTE, from + 2 + k));
          }
        }
      }
    }
    return new Packed(dst, w.rows(), blocks, groups);
  }

  /** {@code out[outOff + t*outStride + r] = dot(row r of w, token t of x)}, as {@link QuantDot#matmul}. */
  static void matmul(Weight w, Q8Activations x, float[] out, int outOff, int outStride, Parallel pool) {
    Packed p = packed(w);
    if (x.cols != w.cols()) throw new IllegalArgumentException(w.name() + ": " + w.cols() + " columns, activations have " + x.cols);
    InterleavedQ4 task = PER_THREAD.get();
    task.p = p;
    task.repacked = QuantDot.repacked(w);
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
  }

  @Override
  public void run(int g0, int g1) {
    if (repacked) gemv(g0, g1);
    else chains(g0, g1);
  }

  /** The repacked order, four tokens at a time. */
  private void gemv(int g0, int g1) {
    Packed p = this.p;
    Q8Activations x = this.x;
    int nt = x.nTokens, blocks = p.blocks, cols = x.cols;
    float[] buf = TILE_OUT.get();
    for (int g = g0; g < g1; g++) {
      long base = (long) g * blocks * BLOCK_BYTES;
      int t = 0;
      for (; t + TILE <= nt; t += TILE) {
        tile4(p.data, base, blocks, x.qs, t * cols, cols, x.bias, x.d, t * blocks, buf);
        for (int i = 0; i < TILE; i++) store(g, t + i, buf, i * ROWS);
      }
      for (; t < nt; t++) {
        tile1(p.data, base, blocks, x.qs, t * cols, x.bias, x.d, t * blocks, buf);
        store(g, t, buf, 0);
      }
    }
  }

  /** The vec_dot order ({@link InterleavedQ4Chains}), two tokens at a time. */
  private void chains(int g0, int g1) {
    Packed p = this.p;
    Q8Activations x = this.x;
    int nt = x.nTokens, blocks = p.blocks, cols = x.cols;
    float[] buf = TILE_OUT.get(), lanes = CHAINS.get();
    for (int g = g0; g < g1; g++) {
      long base = (long) g * blocks * BLOCK_BYTES;
      int t = 0;
      for (; t + 2 <= nt; t += 2) {
        InterleavedQ4Chains.tile2(p.data, base, blocks, x.qs, t * cols, cols, x.d, t * blocks, lanes, buf);
        store(g, t, buf, 0);
        store(g, t + 1, buf, ROWS);
      }
      for (; t < nt; t++) {
        InterleavedQ4Chains.tile1(p.data, base, blocks, x.qs, t * cols, cols, x.d, t * blocks, lanes, buf);
        store(g, t, buf, 0);
      }
    }
  }

  private void store(int g, int t, float[] buf, int bo) {
    int r0 = g * ROWS, n = Math.min(ROWS, p.rows - r0);
    System.arraycopy(buf, bo, out, outOff + t * outStride + r0, n);
  }

  /** One token: {@code buf[0..32)} = the group's 32 row sums. */
  private static void tile1(MemorySegment m, long base, int blocks, short[] qs, int qo, short[] bias, float[] ad, int bo, float[] buf) {
    FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F);
    long p = base;
    for (int b = 0; b < blocks; b++, p += BLOCK_BYTES) {
      ShortVector s = ShortVector.broadcast(S, bias[bo + b]);
      int q = qo + 32 * b;
      for (int k = 0; k < 16; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + 4 * ROWS + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15), hi = w.lanewise(VectorOperators.LSHR, 4).and((short) 15);
        s = s.add(lo.mul(qs[q + k])).add(hi.mul(qs[q + k + 16]));
      }
      IntVector i = s.reinterpretAsInts();
      FloatVector d0 = FloatVector.fromMemorySegment(F, m, p, LE), d1 = FloatVector.fromMemorySegment(F, m, p + 64, LE);
      float da = ad[bo + b];
      c0 = ((FloatVector) i.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d0.mul(da), c0);
      c1 = ((FloatVector) i.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d1.mul(da), c1);
    }
    c0.intoArray(buf, 0);
    c1.intoArray(buf, 16);
  }

  /** Four tokens (token i's activations at {@code qo + i*qs_stride}): {@code buf[32i..32i+32)}. */
  private static void tile4(MemorySegment m, long base, int blocks, short[] qs, int qo, int qStride, short[] bias, float[] ad, int bo, float[] buf) {
    FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F), c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
    FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F), c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
    int q0 = qo, q1 = qo + qStride, q2 = qo + 2 * qStride, q3 = qo + 3 * qStride;
    int b0 = bo, b1 = bo + blocks, b2 = bo + 2 * blocks, b3 = bo + 3 * blocks;
    long p = base;
    for (int b = 0; b < blocks; b++, p += BLOCK_BYTES) {
      ShortVector s0 = ShortVector.broadcast(S, bias[b0 + b]), s1 = ShortVector.broadcast(S, bias[b1 + b]);
      ShortVector s2 = ShortVector.broadcast(S, bias[b2 + b]), s3 = ShortVector.broadcast(S, bias[b3 + b]);
      int o = 32 * b;
      for (int k = 0; k < 16; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + 4 * ROWS + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15), hi = w.lanewise(VectorOperators.LSHR, 4).and((short) 15);
        int e = o + k;
        s0 = s0.add(lo.mul(qs[q0 + e])).add(hi.mul(qs[q0 + e + 16]));
        s1 = s1.add(lo.mul(qs[q1 + e])).add(hi.mul(qs[q1 + e + 16]));
        s2 = s2.add(lo.mul(qs[q2 + e])).add(hi.mul(qs[q2 + e + 16]));
        s3 = s3.add(lo.mul(qs[q3 + e])).add(hi.mul(qs[q3 + e + 16]));
      }
      FloatVector d0 = FloatVector.fromMemorySegment(F, m, p, LE), d1 = FloatVector.fromMemorySegment(F, m, p + 64, LE);
      IntVector i0 = s0.reinterpretAsInts(), i1 = s1.reinterpretAsInts(), i2 = s2.reinterpretAsInts(), i3 = s3.reinterpretAsInts();
      float a0 = ad[b0 + b], a1 = ad[b1 + b], a2 = ad[b2 + b], a3 = ad[b3 + b];
      c00 = ((FloatVector) i0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d0.mul(a0), c00);
      c01 = ((FloatVector) i0.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d1.mul(a0), c01);
      c10 = ((FloatVector) i1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d0.mul(a1), c10);
      c11 = ((FloatVector) i1.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d1.mul(a1), c11);
      c20 = ((FloatVector) i2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d0.mul(a2), c20);
      c21 = ((FloatVector) i2.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d1.mul(a2), c21);
      c30 = ((FloatVector) i3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d0.mul(a3), c30);
      c31 = ((FloatVector) i3.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(d1.mul(a3), c31);
    }
    c00.intoArray(buf, 0);
    c01.intoArray(buf, 16);
    c10.intoArray(buf, 32);
    c11.intoArray(buf, 48);
    c20.intoArray(buf, 64);
    c21.intoArray(buf, 80);
    c30.intoArray(buf, 96);
    c31.intoArray(buf, 112);
  }
}
