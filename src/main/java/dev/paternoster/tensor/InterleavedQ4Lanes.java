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
 * A Q4_0 matrix that llama.cpp does not repack (the token embedding, which doubles as the output
 * matrix of tied models, and matrices whose row count is not a multiple of 8), copied so that a
 * 256-bit vector holds one quant of 16 rows, and multiplied by {@link Q8Activations} in 16-bit
 * integer lanes: llama.cpp's {@code ggml_vec_dot_q4_0_q8_0} order (see {@link QuantDot}), bit for
 * bit, without decoding weights to floats.
 *
 * <p>That order keeps eight float chains per row and token: chain m takes, block after block,
 * {@code fma(d_w*d_a, isum_m, chain_m)}, where {@code isum_m} is the exact integer sum over
 * quants 4m..4m+3; the result is {@code ((l0+l4)+(l2+l6))+((l1+l5)+(l3+l7))}. Here the 16 rows are
 * the lanes: each {@code isum_m} (at most {@code 4 * 8 * 127} in magnitude) is formed in shorts by
 * four multiply-adds with a broadcast activation quant, then widened to floats for its chain.
 * (A 16-row vector of shorts is 256 bits; on Zen 4, which splits 512-bit operations in two, that
 * costs the same per element as 512 bits, and it widens to one 16-float vector without shuffles.)
 *
 * <p>Layout, per group of 16 rows and block of 32 columns ({@link #BLOCK_BYTES} bytes): the rows'
 * scales as 16 floats, then 16 chunks of 16 bytes, chunk k byte j = byte k of the block of row j
 * (low nibble: quant k, high nibble: quant k+16). Rows past the end have zero scales.
 */
final class InterleavedQ4Lanes implements Parallel.RangeTask {
  private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
  private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /** Rows per group: the 16 float lanes of a chain vector. */
  static final int ROWS = 16;
  private static final int SCALE_BYTES = 4 * ROWS;
  /** Bytes per (group, block): 16 float scales and 16 x 16 quant bytes. */
  static final int BLOCK_BYTES = SCALE_BYTES + 16 * ROWS;
  /** Tokens per tile: two tokens' 16 chains fill the registers. */
  private static final int TILE = 2;

  /** Repacked copies, kept as long as their weight is. */
  private static final Map<Weight, Packed> PACKED = Collections.synchronizedMap(new WeakHashMap<>());

  /** A repacked matrix: {@code groups} groups of {@code blocks} blocks. */
  record Packed(MemorySegment data, int rows, int blocks, int groups) {}

  private static final ThreadLocal<InterleavedQ4Lanes> PER_THREAD = ThreadLocal.withInitial(InterleavedQ4Lanes::new);
  /** A thread's row sums of one tile, before they are copied out. */
  private static final ThreadLocal<float[]> TILE_OUT = ThreadLocal.withInitial(() -> new float[ROWS * TILE]);

  private Packed p;
  private Q8Activations x;
  private float[] out;
  private int outOff, outStride;

  /** Whether {@code w} is multiplied here: a Q4_0 matrix llama.cpp does not repack, on a machine with 512-bit shorts. */
  static boolean applies(Weight w) {
    return InterleavedQ4.SUPPORTED && w.type() == GGMLType.Q4_0 && !QuantDot.repacked(w);
  }

  /** {@code w} repacked (once; later calls return the same copy while {@code w} is reachable). */
  static Packed packed(Weight w) {
    synchronized (PACKED) {
      return PACKED.computeIfAbsent(w, InterleavedQ4Lanes::repack);
    }
  }

  static Packed repack(Weight w) {
    if (w.type() != GGMLType.Q4_0) throw new IllegalArgumentException(w.name() + ": not Q4_0 but " + w.type());
    int blocks = w.cols() / 32, groups = (w.rows() + ROWS - 1) / ROWS;
    MemorySegment dst = Arena.ofAuto().allocate((long) groups * blocks * BLOCK_BYTES, 64);
    MemorySegment src = w.data();
    long rowBytes = w.rowBytes();
    for (int r = 0; r < w.rows(); r++) { // rows past the end keep zero scales and quants
      int g = r / ROWS, j = r % ROWS;
      for (int b = 0; b < blocks; b++) {
        long from = r * rowBytes + b * 18L;
        long to = ((long) g * blocks + b) * BLOCK_BYTES;
        dst.set(ValueLayout.JAVA_FLOAT_UNALIGNED, to + 4L * j, Float.float16ToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, from)));
        for (int k = 0; k < 16; k++) {
          dst.set(ValueLayout.JAVA_BYTE, to + SCALE_BYTES + k * ROWS + j, src.get(ValueLayout.JAVA_BYTE, from + 2 + k));
        }
      }
    }
    return new Packed(dst, w.rows(), blocks, groups);
  }

  /** {@code out[outOff + t*outStride + r] = dot(row r of w, token t of x)}, as {@link QuantDot#matmul}. */
  static void matmul(Weight w, Q8Activations x, float[] out, int outOff, int outStride, Parallel pool) {
    if (x.cols != w.cols()) throw new IllegalArgumentException(w.name() + ": " + w.cols() + " columns, activations have " + x.cols);
    Packed p = packed(w);
    InterleavedQ4Lanes task = PER_THREAD.get();
    task.p = p;
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
    Packed p = this.p;
    Q8Activations x = this.x;
    int nt = x.nTokens, blocks = p.blocks, cols = x.cols;
    float[] buf = TILE_OUT.get();
    for (int g = g0; g < g1; g++) {
      long base = (long) g * blocks * BLOCK_BYTES;
      int t = 0;
      for (; t + TILE <= nt; t += TILE) {
        tile2(p.data, base, blocks, x.qs, t * cols, cols, x.d, t * blocks, buf);
        for (int i = 0; i < TILE; i++) store(g, t + i, buf, i * ROWS);
      }
      for (; t < nt; t++) {
        tile1(p.data, base, blocks, x.qs, t * cols, cols, x.d, t * blocks, buf);
        store(g, t, buf, 0);
      }
    }
  }

  private void store(int g, int t, float[] buf, int bo) {
    int r0 = g * ROWS, n = Math.min(ROWS, p.rows - r0);
    System.arraycopy(buf, bo, out, outOff + t * outStride + r0, n);
  }

  /** 1 token: {@code buf[16i..16i+16)} = token i's sums of the group's 16 rows. */
  private static void tile1(MemorySegment m, long base, int blocks, short[] qs, int qo, int qStride, float[] ad, int bo, float[] buf) {
    FloatVector l00 = FloatVector.zero(F), l01 = FloatVector.zero(F), l02 = FloatVector.zero(F), l03 = FloatVector.zero(F), l04 = FloatVector.zero(F), l05 = FloatVector.zero(F), l06 = FloatVector.zero(F), l07 = FloatVector.zero(F);
    long p = base;
    for (int b = 0; b < blocks; b++, p += BLOCK_BYTES) {
      FloatVector dw = FloatVector.fromMemorySegment(F, m, p, LE);
      FloatVector d0 = dw.mul(ad[bo + b]);
      int q0 = qo + 32 * b;
      // lanes m = 0 (quants 0..3) and m = 4 (quants 16..19)
      ShortVector s00 = ShortVector.zero(S), h00 = ShortVector.zero(S);
      for (int k = 0; k < 4; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + SCALE_BYTES + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15).sub((short) 8), hi = w.lanewise(VectorOperators.ASHR, 4).and((short) 15).sub((short) 8);
        s00 = s00.add(lo.mul(qs[q0 + k]));
        h00 = h00.add(hi.mul(qs[q0 + k + 16]));
      }
      l00 = ((FloatVector) s00.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l00);
      l04 = ((FloatVector) h00.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l04);
      // lanes m = 1 (quants 4..7) and m = 5 (quants 20..23)
      ShortVector s01 = ShortVector.zero(S), h01 = ShortVector.zero(S);
      for (int k = 4; k < 8; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + SCALE_BYTES + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15).sub((short) 8), hi = w.lanewise(VectorOperators.ASHR, 4).and((short) 15).sub((short) 8);
        s01 = s01.add(lo.mul(qs[q0 + k]));
        h01 = h01.add(hi.mul(qs[q0 + k + 16]));
      }
      l01 = ((FloatVector) s01.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l01);
      l05 = ((FloatVector) h01.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l05);
      // lanes m = 2 (quants 8..11) and m = 6 (quants 24..27)
      ShortVector s02 = ShortVector.zero(S), h02 = ShortVector.zero(S);
      for (int k = 8; k < 12; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + SCALE_BYTES + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15).sub((short) 8), hi = w.lanewise(VectorOperators.ASHR, 4).and((short) 15).sub((short) 8);
        s02 = s02.add(lo.mul(qs[q0 + k]));
        h02 = h02.add(hi.mul(qs[q0 + k + 16]));
      }
      l02 = ((FloatVector) s02.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l02);
      l06 = ((FloatVector) h02.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l06);
      // lanes m = 3 (quants 12..15) and m = 7 (quants 28..31)
      ShortVector s03 = ShortVector.zero(S), h03 = ShortVector.zero(S);
      for (int k = 12; k < 16; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + SCALE_BYTES + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15).sub((short) 8), hi = w.lanewise(VectorOperators.ASHR, 4).and((short) 15).sub((short) 8);
        s03 = s03.add(lo.mul(qs[q0 + k]));
        h03 = h03.add(hi.mul(qs[q0 + k + 16]));
      }
      l03 = ((FloatVector) s03.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l03);
      l07 = ((FloatVector) h03.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l07);
    }
    // llama.cpp's hsum_float_8: ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))
    l00.add(l04).add(l02.add(l06)).add(l01.add(l05).add(l03.add(l07))).intoArray(buf, 0);
  }

  /** 2 tokens: {@code buf[16i..16i+16)} = token i's sums of the group's 16 rows. */
  private static void tile2(MemorySegment m, long base, int blocks, short[] qs, int qo, int qStride, float[] ad, int bo, float[] buf) {
    FloatVector l00 = FloatVector.zero(F), l01 = FloatVector.zero(F), l02 = FloatVector.zero(F), l03 = FloatVector.zero(F), l04 = FloatVector.zero(F), l05 = FloatVector.zero(F), l06 = FloatVector.zero(F), l07 = FloatVector.zero(F);
    FloatVector l10 = FloatVector.zero(F), l11 = FloatVector.zero(F), l12 = FloatVector.zero(F), l13 = FloatVector.zero(F), l14 = FloatVector.zero(F), l15 = FloatVector.zero(F), l16 = FloatVector.zero(F), l17 = FloatVector.zero(F);
    long p = base;
    for (int b = 0; b < blocks; b++, p += BLOCK_BYTES) {
      FloatVector dw = FloatVector.fromMemorySegment(F, m, p, LE);
      FloatVector d0 = dw.mul(ad[bo + b]);
      int q0 = qo + 32 * b;
      FloatVector d1 = dw.mul(ad[bo + 1 * blocks + b]);
      int q1 = qo + 1 * qStride + 32 * b;
      // lanes m = 0 (quants 0..3) and m = 4 (quants 16..19)
      ShortVector s00 = ShortVector.zero(S), h00 = ShortVector.zero(S), s10 = ShortVector.zero(S), h10 = ShortVector.zero(S);
      for (int k = 0; k < 4; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + SCALE_BYTES + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15).sub((short) 8), hi = w.lanewise(VectorOperators.ASHR, 4).and((short) 15).sub((short) 8);
        s00 = s00.add(lo.mul(qs[q0 + k]));
        h00 = h00.add(hi.mul(qs[q0 + k + 16]));
        s10 = s10.add(lo.mul(qs[q1 + k]));
        h10 = h10.add(hi.mul(qs[q1 + k + 16]));
      }
      l00 = ((FloatVector) s00.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l00);
      l04 = ((FloatVector) h00.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l04);
      l10 = ((FloatVector) s10.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d1, l10);
      l14 = ((FloatVector) h10.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d1, l14);
      // lanes m = 1 (quants 4..7) and m = 5 (quants 20..23)
      ShortVector s01 = ShortVector.zero(S), h01 = ShortVector.zero(S), s11 = ShortVector.zero(S), h11 = ShortVector.zero(S);
      for (int k = 4; k < 8; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + SCALE_BYTES + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15).sub((short) 8), hi = w.lanewise(VectorOperators.ASHR, 4).and((short) 15).sub((short) 8);
        s01 = s01.add(lo.mul(qs[q0 + k]));
        h01 = h01.add(hi.mul(qs[q0 + k + 16]));
        s11 = s11.add(lo.mul(qs[q1 + k]));
        h11 = h11.add(hi.mul(qs[q1 + k + 16]));
      }
      l01 = ((FloatVector) s01.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l01);
      l05 = ((FloatVector) h01.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l05);
      l11 = ((FloatVector) s11.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d1, l11);
      l15 = ((FloatVector) h11.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d1, l15);
      // lanes m = 2 (quants 8..11) and m = 6 (quants 24..27)
      ShortVector s02 = ShortVector.zero(S), h02 = ShortVector.zero(S), s12 = ShortVector.zero(S), h12 = ShortVector.zero(S);
      for (int k = 8; k < 12; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + SCALE_BYTES + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15).sub((short) 8), hi = w.lanewise(VectorOperators.ASHR, 4).and((short) 15).sub((short) 8);
        s02 = s02.add(lo.mul(qs[q0 + k]));
        h02 = h02.add(hi.mul(qs[q0 + k + 16]));
        s12 = s12.add(lo.mul(qs[q1 + k]));
        h12 = h12.add(hi.mul(qs[q1 + k + 16]));
      }
      l02 = ((FloatVector) s02.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l02);
      l06 = ((FloatVector) h02.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l06);
      l12 = ((FloatVector) s12.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d1, l12);
      l16 = ((FloatVector) h12.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d1, l16);
      // lanes m = 3 (quants 12..15) and m = 7 (quants 28..31)
      ShortVector s03 = ShortVector.zero(S), h03 = ShortVector.zero(S), s13 = ShortVector.zero(S), h13 = ShortVector.zero(S);
      for (int k = 12; k < 16; k++) {
        ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B, m, p + SCALE_BYTES + k * ROWS, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector lo = w.and((short) 15).sub((short) 8), hi = w.lanewise(VectorOperators.ASHR, 4).and((short) 15).sub((short) 8);
        s03 = s03.add(lo.mul(qs[q0 + k]));
        h03 = h03.add(hi.mul(qs[q0 + k + 16]));
        s13 = s13.add(lo.mul(qs[q1 + k]));
        h13 = h13.add(hi.mul(qs[q1 + k + 16]));
      }
      l03 = ((FloatVector) s03.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l03);
      l07 = ((FloatVector) h03.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d0, l07);
      l13 = ((FloatVector) s13.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d1, l13);
      l17 = ((FloatVector) h13.convertShape(VectorOperators.S2I, I, 0).convert(VectorOperators.I2F, 0)).fma(d1, l17);
    }
    // llama.cpp's hsum_float_8: ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7))
    l00.add(l04).add(l02.add(l06)).add(l01.add(l05).add(l03.add(l07))).intoArray(buf, 0);
    l10.add(l14).add(l12.add(l16)).add(l11.add(l15).add(l13.add(l17))).intoArray(buf, 16);
  }

}
