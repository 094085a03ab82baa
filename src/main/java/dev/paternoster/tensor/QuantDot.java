package dev.paternoster.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q8_0 and Q4_0 weights times {@link Q8Activations}, computing exactly what llama.cpp's x86 CPU
 * backend computes (see docs/NUMERICS.md), with the Vector API.
 *
 * <p>Two orders, chosen per matrix (so a token's result never depends on its batch):
 * <ul>
 *   <li>{@code ggml_vec_dot_q8_0_q8_0} / {@code _q4_0_q8_0} (AVX2), for Q8_0 and for Q4_0 matrices
 *       llama.cpp does not repack: eight float lanes per (row, token); lane m takes the exact
 *       integer sum over positions 4m..4m+3 of each block, {@code acc[m] = fma(d_w*d_a, isum[m], acc[m])}
 *       once per block, and the result is {@code ((l0+l4)+(l2+l6))+((l1+l5)+(l3+l7))}.
 *   <li>{@code ggml_gemv/gemm_q4_0_8x8_q8_0}, for Q4_0 matrices whose row count is a multiple of 8
 *       (llama.cpp repacks those; not {@code token_embd}, which it keeps for row look-ups): one
 *       scalar chain per (row, token), {@code acc = fma(isum_block, d_w*d_a, acc)}.
 * </ul>
 *
 * <p>Integer products of 8-bit values, and sums of up to 32 of them, are exact in float, so the
 * integer sums are formed with float FMAs on integer-valued floats in any order; only the per-block
 * FMA and the final lane sum follow llama.cpp's order.
 *
 * <p>Vectors have 16 lanes: lane {@code h*8 + m} is llama.cpp's lane m of row h of a row pair. For
 * each group of 16 rows (8 pairs) and chunk of {@link #CHUNK} blocks, the weights are decoded once
 * into L1 scratch (per pair and block: {@code W_k[h*8+m] = w_h[4m+k]}, k < 4, and
 * {@code DW = (d_w0 x8, d_w1 x8)}), then every token of the batch runs over them:
 * {@code S = W0*A0 + W1*A1 + W2*A2 + W3*A3} holds {@code isum[m]} of both rows. The vec_dot order
 * accumulates {@code acc = fma(DW*d_a, S, acc)}; the repacked order first sums the 8 pairs' S
 * vectors across m (a transposing tree of exact adds) into one vector of 16 rows' block sums.
 */
final class QuantDot implements Parallel.RangeTask {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /** Whether the 16-lane kernels run (AVX-512); otherwise a scalar loop computes the same values. */
  static final boolean VECTOR = FloatVector.SPECIES_PREFERRED.length() >= 16;
  /** Rows per group: 8 row pairs, the 16 lanes of the repacked order. */
  static final int GROUP = 16;
  /** Blocks (of 32 values) decoded per chunk: 8 pairs x CHUNK x 80 floats of scratch. */
  static final int CHUNK = Integer.getInteger("paternoster.quantChunk", 8);
  /** Scratch floats per (pair, block): W0..W3 and DW. */
  private static final int PB = 80;
  /** Scratch floats per pair. */
  private static final int PAIR = CHUNK * PB;

  static {
    if (CHUNK < 1 || CHUNK > 1024) throw new IllegalStateException("paternoster.quantChunk out of range: " + CHUNK);
  }

  // Two-vector selections on int lanes (float bits moved as ints: a float-indexed selectFrom is slower)
  private static final IntVector EVEN = indices(i -> i < 8 ? 2 * i : 16 + 2 * (i - 8));
  private static final IntVector ODD = indices(i -> i < 8 ? 2 * i + 1 : 17 + 2 * (i - 8));
  private static final VectorMask<Float> UPPER = VectorMask.fromLong(F, 0xFF00L);
  private static final VectorMask<Integer> LANES_8_15 = VectorMask.fromLong(I, 0xFF00L);
  private static final VectorMask<Integer> LANES_4_7 = VectorMask.fromLong(I, 0x00F0L);
  private static final VectorMask<Integer> LANES_8_11 = VectorMask.fromLong(I, 0x0F00L);
  private static final VectorMask<Integer> LANES_12_15 = VectorMask.fromLong(I, 0xF000L);
  /** Q4_0: lanes m >= 4 of each row take the high nibbles. */
  private static final IntVector NIBBLE_SHIFT = IntVector.fromArray(I, new int[] {0, 0, 0, 0, 4, 4, 4, 4, 0, 0, 0, 0, 4, 4, 4, 4}, 0);

  private static IntVector indices(java.util.function.IntUnaryOperator f) {
    int[] v = new int[16];
    for (int i = 0; i < 16; i++) v[i] = f.applyAsInt(i);
    return IntVector.fromArray(I, v, 0);
  }

  /**
   * The vector kernels load a block's quants with full 64-byte loads (blended per row; plain loads
   * and a blend measured faster than masked loads) that reach up to 48 bytes before and 64 bytes
   * past the block. So the vectors only ever read interior rows (1 .. rows-2) of matrices whose rows
   * span at least 66 bytes, where every load stays inside the segment; the first and last rows are
   * computed by {@link #scalarRows} (the same arithmetic: exact integer sums, same FMA order), and
   * tiny matrices entirely so.
   */
  static boolean vectorizable(Weight w) {
    return VECTOR && w.rows() >= 3 && w.rowBytes() >= 66;
  }

  /** The row the vector kernels read in place of row r (interior rows only; see {@link #vectorizable}). */
  private static int inner(int r, int rows) {
    return r <= 0 ? 1 : Math.min(r, rows - 2);
  }

  /** Whether row r's vector results are used (an interior row of the matrix). */
  private static boolean interior(int r, int rows) {
    return r > 0 && r < rows - 1;
  }

  /** Whether llama.cpp repacks this matrix (and so uses the one-chain order). */
  static boolean repacked(Weight w) {
    return w.type() == GGMLType.Q4_0 && w.rows() % 8 == 0 && !w.name().equals("token_embd.weight");
  }

  private static final ThreadLocal<QuantDot> PER_THREAD = ThreadLocal.withInitial(QuantDot::new);
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /** A worker thread's decoded weights and accumulators. */
  private static final class Scratch {
    final float[] w = new float[8 * PAIR];
    final float[] dw16 = new float[CHUNK * GROUP];
    float[] acc = new float[0];
    /** Byte offsets of the eight rows of a {@link #fewTokens} step. */
    final long[] rows8 = new long[8];
  }

  private Weight w;
  private Q8Activations x;
  private float[] out;
  private int outOff, outStride;
  private boolean repacked;
  /** Bytes per row ({@code Weight.rowBytes} divides: computed once per call, not per row). */
  private long rowBytes;

  /** {@code out[outOff + t*outStride + r] = dot(row r of w, token t of x)} for every row and token. */
  static void matmul(Weight w, Q8Activations x, float[] out, int outOff, int outStride, Parallel pool) {
    QuantDot task = PER_THREAD.get();
    task.w = w;
    task.x = x;
    task.out = out;
    task.outOff = outOff;
    task.outStride = outStride;
    task.repacked = repacked(w);
    task.rowBytes = w.rowBytes();
    try {
      if (vectorizable(w)) pool.forRange((w.rows() + GROUP - 1) / GROUP, task);
      else pool.forRange(w.rows(), task::scalarRows);
    } finally {
      task.w = null;
      task.x = null;
      task.out = null;
    }
  }

  @Override
  public void run(int g0, int g1) {
    Scratch sc = SCRATCH.get();
    int nt = x.nTokens, rows = w.rows();
    int perPass = Math.min(nt, MatmulTask.TOKEN_CHUNK);
    if (sc.acc.length < 8 * perPass * 16) sc.acc = new float[8 * perPass * 16];
    boolean inRegisters = inRegisters(nt);
    if (inRegisters) fewTokens(g0 * GROUP, Math.min(g1 * GROUP, rows), sc);
    // many tokens: in chunks, so that a chunk's activations stay in L2 while every row group
    // passes over them (see MatmulTask.TOKEN_CHUNK); each token's sums are unchanged
    int passes = inRegisters ? 0 : MatmulTask.passes(nt);
    for (int p = 0; p < passes; p++) {
      int t0 = MatmulTask.passStart(nt, p, passes);
      decoded(g0, g1, t0, MatmulTask.passStart(nt, p + 1, passes) - t0, sc);
    }
    // the first and last rows, which the vectors did not read (see vectorizable)
    if (g0 == 0) scalarRows(0, 1);
    if (g1 * GROUP >= rows) scalarRows(rows - 1, rows);
  }

  /** Rows of groups {@code [g0, g1)} for tokens {@code [t0, t0 + nt)}: row pairs decoded into the scratch, then the tiles. */
  private void decoded(int g0, int g1, int t0, int nt, Scratch sc) {
    int blocks = x.blocks, rows = w.rows();
    float[] s = sc.w, acc = sc.acc, dw16 = sc.dw16, a = x.a, ad = x.d;
    boolean q8 = w.type() == GGMLType.Q8_0;
    for (int g = g0; g < g1; g++) {
      int r0 = g * GROUP, nr = Math.min(GROUP, rows - r0);
      // always 8 pairs: rows past the end are decoded from the last row with scale 0 (results unused)
      int pairs = 8;
      Arrays.fill(acc, 0, (repacked ? 1 : pairs) * nt * 16, 0f);
      for (int cb = 0; cb < blocks; cb += CHUNK) {
        int nb = Math.min(CHUNK, blocks - cb);
        for (int p = 0; p < pairs; p++) {
          int ra = inner(r0 + 2 * p, rows), rb = inner(r0 + 2 * p + 1, rows);
          boolean hasA = interior(r0 + 2 * p, rows), hasB = interior(r0 + 2 * p + 1, rows);
          if (q8) decodeQ8(w.data(), ra * rowBytes, rb * rowBytes, hasA, hasB, cb, nb, s, p * PAIR, dw16, 2 * p);
          else decodeQ4(w.data(), ra * rowBytes, rb * rowBytes, hasA, hasB, cb, nb, s, p * PAIR, dw16, 2 * p);
        }
        if (repacked) {
          for (int t = 0; t < nt; t++) {
            oneChain(s, nb, a, ((t0 + t) * blocks + cb) * 64, ad, (t0 + t) * blocks + cb, dw16, acc, t * 16);
          }
        } else {
          int t = 0;
          for (; t + 2 <= nt; t += 2) {
            int ao = ((t0 + t) * blocks + cb) * 64, dOff = (t0 + t) * blocks + cb;
            dot4x2(s, 0, nb, a, ao, blocks * 64, ad, dOff, blocks, acc, t * 16, nt * 16);
            dot4x2(s, 4 * PAIR, nb, a, ao, blocks * 64, ad, dOff, blocks, acc, (4 * nt + t) * 16, nt * 16);
          }
          for (; t < nt; t++) {
            dot8(s, nb, a, ((t0 + t) * blocks + cb) * 64, ad, (t0 + t) * blocks + cb, acc, t * 16, nt * 16);
          }
        }
      }
      for (int t = 0; t < nt; t++) {
        int o = outOff + (t0 + t) * outStride + r0;
        if (repacked) {
          for (int i = 0; i < nr; i++) out[o + i] = acc[t * 16 + i];
        } else {
          for (int i = 0; i < nr; i++) out[o + i] = hsum8(acc, ((i / 2) * nt + t) * 16 + (i % 2) * 8);
        }
      }
    }
  }

  /**
   * Whether {@link #fewTokens} takes {@code nt} tokens of this call's matrix. Not the repacked
   * order: its single-token kernel in registers (16 rows in one method, too large for C1) ran no
   * faster than the scratch path, which it was removed for.
   */
  private boolean inRegisters(int nt) {
    return !repacked && (nt == 1 || nt <= 4 && w.type() == GGMLType.Q8_0);
  }

  /**
   * One token (up to four for Q8_0), rows {@code [start, end)}: too little weight reuse to gain
   * from the scratch, so the weights are decoded straight into registers, eight rows per step
   * sharing the activation loads. The range is cut into eight runs of q consecutive rows and step
   * i takes the i-th row of every run: the memory then sees eight long sequential streams per
   * thread rather than eight short neighbouring rows, which the hardware prefetchers barely start
   * on (see {@code MatmulTask.inRegisters}). The last {@code (end - start) % 8} rows are taken in
   * one more step, clamped rows filling it (unused). Every row's lanes hold that row's sums only,
   * so which rows share a step changes no bit.
   */
  private void fewTokens(int start, int end, Scratch sc) {
    float[] acc = sc.acc, a = x.a, ad = x.d;
    long[] ro = sc.rows8;
    int rows = w.rows(), blocks = x.blocks, nt = x.nTokens, k = 8;
    boolean q8 = w.type() == GGMLType.Q8_0;
    int q = (end - start) / k;
    int last = start + q * k;
    for (int i = 0; i < q || (i == q && last < end); i++) {
      for (int j = 0; j < k; j++) {
        int r = i < q ? start + i + j * q : Math.min(last + j, end - 1);
        ro[j] = inner(r, rows) * rowBytes;
      }
      if (!q8) fusedQ4x8(w.data(), ro, blocks, a, ad, acc, 0);
      else if (nt == 1) fusedQ8x8(w.data(), ro, blocks, a, ad, acc, 0);
      else if (nt == 2) {
        fusedQ8p2t2(w.data(), ro, 0, blocks, a, ad, acc, 0);
        fusedQ8p2t2(w.data(), ro, 4, blocks, a, ad, acc, 4 * 16);
      } else {
        for (int p = 0; p < 4; p++) {
          if (nt == 3) fusedQ8p1t3(w.data(), ro, 2 * p, blocks, a, ad, acc, p * 3 * 16);
          else fusedQ8p1t4(w.data(), ro, 2 * p, blocks, a, ad, acc, p * 4 * 16);
        }
      }
      for (int j = 0; j < k; j++) {
        int r = i < q ? start + i + j * q : last + j;
        if (r >= end) break;
        for (int t = 0; t < nt; t++) out[outOff + t * outStride + r] = hsum8(acc, ((j / 2) * nt + t) * 16 + (j % 2) * 8);
      }
    }
  }

  /** llama.cpp's {@code hsum_float_8}. */
  static float hsum8(float[] l, int o) {
    return ((l[o] + l[o + 4]) + (l[o + 2] + l[o + 6])) + ((l[o + 1] + l[o + 5]) + (l[o + 3] + l[o + 7]));
  }

  // Vectors never cross a method boundary below (a vector passed to a method C2 does not inline
  // is boxed); the tiles are written out mechanically.

  /**
   * Decodes blocks [cb, cb+nb) of rows a and b (Q8_0) into the pair's scratch. One int lane holds
   * the 4 bytes of a llama.cpp lane (positions 4m..4m+3): two masked loads put row a's 8 ints in
   * lanes 0..7 and row b's in lanes 8..15; byte k of every lane is then cut out with shifts.
   */
  private static void decodeQ8(MemorySegment data, long rowA, long rowB, boolean hasA, boolean hasB, int cb, int nb,
      float[] s, int so, float[] dw16, int row) {
    for (int b = 0; b < nb; b++) {
      long oa = rowA + (long) (cb + b) * 34, ob = rowB + (long) (cb + b) * 34;
      float da = hasA ? Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, oa)) : 0f;
      float db = hasB ? Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, ob)) : 0f;
      IntVector q = IntVector.fromMemorySegment(I, data, oa + 2, LE)
          .blend(IntVector.fromMemorySegment(I, data, ob + 2 - 32, LE), LANES_8_15);
      int o = so + b * PB;
      ((FloatVector) q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).intoArray(s, o);
      ((FloatVector) q.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).intoArray(s, o + 16);
      ((FloatVector) q.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).intoArray(s, o + 32);
      ((FloatVector) q.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).intoArray(s, o + 48);
      FloatVector.broadcast(F, da).blend(db, UPPER).intoArray(s, o + 64);
      dw16[b * GROUP + row] = da;
      dw16[b * GROUP + row + 1] = db;
    }
  }

  /**
   * As {@link #decodeQ8} for Q4_0: element j < 16 is the low nibble of byte j, element j+16 its high
   * nibble, minus 8. Lanes m < 4 of a row take its 4 ints' low nibbles, lanes m >= 4 the same ints'
   * high nibbles (shifted down by 4 first).
   */
  private static void decodeQ4(MemorySegment data, long rowA, long rowB, boolean hasA, boolean hasB, int cb, int nb,
      float[] s, int so, float[] dw16, int row) {
    for (int b = 0; b < nb; b++) {
      long oa = rowA + (long) (cb + b) * 18, ob = rowB + (long) (cb + b) * 18;
      float da = hasA ? Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, oa)) : 0f;
      float db = hasB ? Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, ob)) : 0f;
      IntVector q = IntVector.fromMemorySegment(I, data, oa + 2, LE)
          .blend(IntVector.fromMemorySegment(I, data, oa + 2 - 16, LE), LANES_4_7)
          .blend(IntVector.fromMemorySegment(I, data, ob + 2 - 32, LE), LANES_8_11)
          .blend(IntVector.fromMemorySegment(I, data, ob + 2 - 48, LE), LANES_12_15)
          .lanewise(VectorOperators.LSHR, NIBBLE_SHIFT).and(0x0F0F0F0F);
      int o = so + b * PB;
      ((FloatVector) q.and(0xF).sub(8).convert(VectorOperators.I2F, 0)).intoArray(s, o);
      ((FloatVector) q.lanewise(VectorOperators.LSHR, 8).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).intoArray(s, o + 16);
      ((FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).intoArray(s, o + 32);
      ((FloatVector) q.lanewise(VectorOperators.LSHR, 24).sub(8).convert(VectorOperators.I2F, 0)).intoArray(s, o + 48);
      FloatVector.broadcast(F, da).blend(db, UPPER).intoArray(s, o + 64);
      dw16[b * GROUP + row] = da;
      dw16[b * GROUP + row + 1] = db;
    }
  }

  /**
   * vec_dot order for a single token, four pairs of rows ({@code ro[2k]}, {@code ro[2k+1]}; a
   * repeated row's lanes are discarded), decoded in registers as in {@link #decodeQ8}: pair k's
   * lanes go to {@code acc[ac + 16k ..ac + 16k + 16)}. The four pairs share the activation loads
   * and their four chains run side by side (one pair per call was 15-20 % slower in decoding).
   */
  private static void fusedQ8x8(MemorySegment data, long[] ro, int blocks, float[] a, float[] ad, float[] acc, int ac) {
    long r0 = ro[0], r1 = ro[1], r2 = ro[2], r3 = ro[3], r4 = ro[4], r5 = ro[5], r6 = ro[6], r7 = ro[7];
    FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
    for (int b = 0; b < blocks; b++) {
      long bo = (long) b * 34;
      long o0 = r0 + bo, o1 = r1 + bo, o2 = r2 + bo, o3 = r3 + bo, o4 = r4 + bo, o5 = r5 + bo, o6 = r6 + bo, o7 = r7 + bo;
      int ab = b * 64;
      FloatVector x0 = FloatVector.fromArray(F, a, ab), x1 = FloatVector.fromArray(F, a, ab + 16);
      FloatVector x2 = FloatVector.fromArray(F, a, ab + 32), x3 = FloatVector.fromArray(F, a, ab + 48);
      float xd = ad[b];
      IntVector q0 = IntVector.fromMemorySegment(I, data, o0 + 2, LE)
          .blend(IntVector.fromMemorySegment(I, data, o1 + 2 - 32, LE), LANES_8_15);
      FloatVector s0 = ((FloatVector) q0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).mul(x0);
      s0 = ((FloatVector) q0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x1, s0);
      s0 = ((FloatVector) q0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x2, s0);
      s0 = ((FloatVector) q0.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x3, s0);
      c0 = FloatVector.broadcast(F, xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o0)))
          .blend(xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o1)), UPPER).fma(s0, c0);
      IntVector q1 = IntVector.fromMemorySegment(I, data, o2 + 2, LE)
          .blend(IntVector.fromMemorySegment(I, data, o3 + 2 - 32, LE), LANES_8_15);
      FloatVector s1 = ((FloatVector) q1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).mul(x0);
      s1 = ((FloatVector) q1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x1, s1);
      s1 = ((FloatVector) q1.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x2, s1);
      s1 = ((FloatVector) q1.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x3, s1);
      c1 = FloatVector.broadcast(F, xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o2)))
          .blend(xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o3)), UPPER).fma(s1, c1);
      IntVector q2 = IntVector.fromMemorySegment(I, data, o4 + 2, LE)
          .blend(IntVector.fromMemorySegment(I, data, o5 + 2 - 32, LE), LANES_8_15);
      FloatVector s2 = ((FloatVector) q2.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).mul(x0);
      s2 = ((FloatVector) q2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x1, s2);
      s2 = ((FloatVector) q2.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x2, s2);
      s2 = ((FloatVector) q2.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x3, s2);
      c2 = FloatVector.broadcast(F, xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o4)))
          .blend(xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o5)), UPPER).fma(s2, c2);
      IntVector q3 = IntVector.fromMemorySegment(I, data, o6 + 2, LE)
          .blend(IntVector.fromMemorySegment(I, data, o7 + 2 - 32, LE), LANES_8_15);
      FloatVector s3 = ((FloatVector) q3.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).mul(x0);
      s3 = ((FloatVector) q3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x1, s3);
      s3 = ((FloatVector) q3.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x2, s3);
      s3 = ((FloatVector) q3.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0)).fma(x3, s3);
      c3 = FloatVector.broadcast(F, xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o6)))
          .blend(xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o7)), UPPER).fma(s3, c3);
    }
    c0.intoArray(acc, ac);
    c1.intoArray(acc, ac + 16);
    c2.intoArray(acc, ac + 32);
    c3.intoArray(acc, ac + 48);
  }

  /** {@link #fusedQ8x8} for Q4_0 (nibbles as in {@link #decodeQ4}). */
  private static void fusedQ4x8(MemorySegment data, long[] ro, int blocks, float[] a, float[] ad, float[] acc, int ac) {
    long r0 = ro[0], r1 = ro[1], r2 = ro[2], r3 = ro[3], r4 = ro[4], r5 = ro[5], r6 = ro[6], r7 = ro[7];
    FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
    for (int b = 0; b < blocks; b++) {
      long bo = (long) b * 18;
      long o0 = r0 + bo, o1 = r1 + bo, o2 = r2 + bo, o3 = r3 + bo, o4 = r4 + bo, o5 = r5 + bo, o6 = r6 + bo, o7 = r7 + bo;
      int ab = b * 64;
      FloatVector x0 = FloatVector.fromArray(F, a, ab), x1 = FloatVector.fromArray(F, a, ab + 16);
      FloatVector x2 = FloatVector.fromArray(F, a, ab + 32), x3 = FloatVector.fromArray(F, a, ab + 48);
      float xd = ad[b];
      IntVector q0 = IntVector.fromMemorySegment(I, data, o0 + 2, LE)
          .blend(IntVector.fromMemorySegment(I, data, o0 + 2 - 16, LE), LANES_4_7)
          .blend(IntVector.fromMemorySegment(I, data, o1 + 2 - 32, LE), LANES_8_11)
          .blend(IntVector.fromMemorySegment(I, data, o1 + 2 - 48, LE), LANES_12_15)
          .lanewise(VectorOperators.LSHR, NIBBLE_SHIFT).and(0x0F0F0F0F);
      FloatVector s0 = ((FloatVector) q0.and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(x0);
      s0 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 8).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).fma(x1, s0);
      s0 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 16).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).fma(x2, s0);
      s0 = ((FloatVector) q0.lanewise(VectorOperators.LSHR, 24).sub(8).convert(VectorOperators.I2F, 0)).fma(x3, s0);
      c0 = FloatVector.broadcast(F, xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o0)))
          .blend(xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o1)), UPPER).fma(s0, c0);
      IntVector q1 = IntVector.fromMemorySegment(I, data, o2 + 2, LE)
          .blend(IntVector.fromMemorySegment(I, data, o2 + 2 - 16, LE), LANES_4_7)
          .blend(IntVector.fromMemorySegment(I, data, o3 + 2 - 32, LE), LANES_8_11)
          .blend(IntVector.fromMemorySegment(I, data, o3 + 2 - 48, LE), LANES_12_15)
          .lanewise(VectorOperators.LSHR, NIBBLE_SHIFT).and(0x0F0F0F0F);
      FloatVector s1 = ((FloatVector) q1.and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(x0);
      s1 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 8).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).fma(x1, s1);
      s1 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 16).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).fma(x2, s1);
      s1 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 24).sub(8).convert(VectorOperators.I2F, 0)).fma(x3, s1);
      c1 = FloatVector.broadcast(F, xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o2)))
          .blend(xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o3)), UPPER).fma(s1, c1);
      IntVector q2 = IntVector.fromMemorySegment(I, data, o4 + 2, LE)
          .blend(IntVector.fromMemorySegment(I, data, o4 + 2 - 16, LE), LANES_4_7)
          .blend(IntVector.fromMemorySegment(I, data, o5 + 2 - 32, LE), LANES_8_11)
          .blend(IntVector.fromMemorySegment(I, data, o5 + 2 - 48, LE), LANES_12_15)
          .lanewise(VectorOperators.LSHR, NIBBLE_SHIFT).and(0x0F0F0F0F);
      FloatVector s2 = ((FloatVector) q2.and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(x0);
      s2 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 8).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).fma(x1, s2);
      s2 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 16).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).fma(x2, s2);
      s2 = ((FloatVector) q2.lanewise(VectorOperators.LSHR, 24).sub(8).convert(VectorOperators.I2F, 0)).fma(x3, s2);
      c2 = FloatVector.broadcast(F, xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o4)))
          .blend(xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o5)), UPPER).fma(s2, c2);
      IntVector q3 = IntVector.fromMemorySegment(I, data, o6 + 2, LE)
          .blend(IntVector.fromMemorySegment(I, data, o6 + 2 - 16, LE), LANES_4_7)
          .blend(IntVector.fromMemorySegment(I, data, o7 + 2 - 32, LE), LANES_8_11)
          .blend(IntVector.fromMemorySegment(I, data, o7 + 2 - 48, LE), LANES_12_15)
          .lanewise(VectorOperators.LSHR, NIBBLE_SHIFT).and(0x0F0F0F0F);
      FloatVector s3 = ((FloatVector) q3.and(0xF).sub(8).convert(VectorOperators.I2F, 0)).mul(x0);
      s3 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 8).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).fma(x1, s3);
      s3 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 16).and(0xF).sub(8).convert(VectorOperators.I2F, 0)).fma(x2, s3);
      s3 = ((FloatVector) q3.lanewise(VectorOperators.LSHR, 24).sub(8).convert(VectorOperators.I2F, 0)).fma(x3, s3);
      c3 = FloatVector.broadcast(F, xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o6)))
          .blend(xd * Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, o7)), UPPER).fma(s3, c3);
    }
    c0.intoArray(acc, ac);
    c1.intoArray(acc, ac + 16);
    c2.intoArray(acc, ac + 32);
    c3.intoArray(acc, ac + 48);
  }

  /** 2 pairs (rows ro[ri ..]) x 2 tokens, as {@link #fusedQ8x8} per token: c[pair][token]. */
  private static void fusedQ8p2t2(MemorySegment data, long[] ro, int ri, int blocks, float[] a, float[] ad, float[] acc, int ac) {
    int ts = blocks * 64;
    long ra0 = ro[ri + 0], rb0 = ro[ri + 1], ra1 = ro[ri + 2], rb1 = ro[ri + 3];
    FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00;
    for (int b = 0; b < blocks; b++) {
      long bo = (long) b * 34;
      int ab = b * 64;
      FloatVector x00 = FloatVector.fromArray(F, a, ab + 0 * ts), x01 = FloatVector.fromArray(F, a, ab + 0 * ts + 16);
      FloatVector x02 = FloatVector.fromArray(F, a, ab + 0 * ts + 32), x03 = FloatVector.fromArray(F, a, ab + 0 * ts + 48);
      float xd0 = ad[0 * blocks + b];
      FloatVector x10 = FloatVector.fromArray(F, a, ab + 1 * ts), x11 = FloatVector.fromArray(F, a, ab + 1 * ts + 16);
      FloatVector x12 = FloatVector.fromArray(F, a, ab + 1 * ts + 32), x13 = FloatVector.fromArray(F, a, ab + 1 * ts + 48);
      float xd1 = ad[1 * blocks + b];
      long oa0 = ra0 + bo, ob0 = rb0 + bo;
      IntVector q0 = IntVector.fromMemorySegment(I, data, oa0 + 2, LE).blend(IntVector.fromMemorySegment(I, data, ob0 + 2 - 32, LE), LANES_8_15);
      FloatVector f00 = (FloatVector) q0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      FloatVector f01 = (FloatVector) q0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      FloatVector f02 = (FloatVector) q0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      FloatVector f03 = (FloatVector) q0.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      float da0 = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, oa0)), db0 = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, ob0));
      FloatVector s00 = f00.mul(x00);
      s00 = f01.fma(x01, s00);
      s00 = f02.fma(x02, s00);
      s00 = f03.fma(x03, s00);
      c00 = FloatVector.broadcast(F, xd0 * da0).blend(xd0 * db0, UPPER).fma(s00, c00);
      FloatVector s01 = f00.mul(x10);
      s01 = f01.fma(x11, s01);
      s01 = f02.fma(x12, s01);
      s01 = f03.fma(x13, s01);
      c01 = FloatVector.broadcast(F, xd1 * da0).blend(xd1 * db0, UPPER).fma(s01, c01);
      long oa1 = ra1 + bo, ob1 = rb1 + bo;
      IntVector q1 = IntVector.fromMemorySegment(I, data, oa1 + 2, LE).blend(IntVector.fromMemorySegment(I, data, ob1 + 2 - 32, LE), LANES_8_15);
      FloatVector f10 = (FloatVector) q1.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      FloatVector f11 = (FloatVector) q1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      FloatVector f12 = (FloatVector) q1.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      FloatVector f13 = (FloatVector) q1.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      float da1 = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, oa1)), db1 = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, ob1));
      FloatVector s10 = f10.mul(x00);
      s10 = f11.fma(x01, s10);
      s10 = f12.fma(x02, s10);
      s10 = f13.fma(x03, s10);
      c10 = FloatVector.broadcast(F, xd0 * da1).blend(xd0 * db1, UPPER).fma(s10, c10);
      FloatVector s11 = f10.mul(x10);
      s11 = f11.fma(x11, s11);
      s11 = f12.fma(x12, s11);
      s11 = f13.fma(x13, s11);
      c11 = FloatVector.broadcast(F, xd1 * da1).blend(xd1 * db1, UPPER).fma(s11, c11);
    }
    c00.intoArray(acc, ac + 0);
    c01.intoArray(acc, ac + 16);
    c10.intoArray(acc, ac + 32);
    c11.intoArray(acc, ac + 48);
  }

  /** 1 pair (rows ro[ri ..]) x 3 tokens, as {@link #fusedQ8x8} per token: c[pair][token]. */
  private static void fusedQ8p1t3(MemorySegment data, long[] ro, int ri, int blocks, float[] a, float[] ad, float[] acc, int ac) {
    int ts = blocks * 64;
    long ra0 = ro[ri + 0], rb0 = ro[ri + 1];
    FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00;
    for (int b = 0; b < blocks; b++) {
      long bo = (long) b * 34;
      int ab = b * 64;
      FloatVector x00 = FloatVector.fromArray(F, a, ab + 0 * ts), x01 = FloatVector.fromArray(F, a, ab + 0 * ts + 16);
      FloatVector x02 = FloatVector.fromArray(F, a, ab + 0 * ts + 32), x03 = FloatVector.fromArray(F, a, ab + 0 * ts + 48);
      float xd0 = ad[0 * blocks + b];
      FloatVector x10 = FloatVector.fromArray(F, a, ab + 1 * ts), x11 = FloatVector.fromArray(F, a, ab + 1 * ts + 16);
      FloatVector x12 = FloatVector.fromArray(F, a, ab + 1 * ts + 32), x13 = FloatVector.fromArray(F, a, ab + 1 * ts + 48);
      float xd1 = ad[1 * blocks + b];
      FloatVector x20 = FloatVector.fromArray(F, a, ab + 2 * ts), x21 = FloatVector.fromArray(F, a, ab + 2 * ts + 16);
      FloatVector x22 = FloatVector.fromArray(F, a, ab + 2 * ts + 32), x23 = FloatVector.fromArray(F, a, ab + 2 * ts + 48);
      float xd2 = ad[2 * blocks + b];
      long oa0 = ra0 + bo, ob0 = rb0 + bo;
      IntVector q0 = IntVector.fromMemorySegment(I, data, oa0 + 2, LE).blend(IntVector.fromMemorySegment(I, data, ob0 + 2 - 32, LE), LANES_8_15);
      FloatVector f00 = (FloatVector) q0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      FloatVector f01 = (FloatVector) q0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      FloatVector f02 = (FloatVector) q0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      FloatVector f03 = (FloatVector) q0.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      float da0 = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, oa0)), db0 = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, ob0));
      FloatVector s00 = f00.mul(x00);
      s00 = f01.fma(x01, s00);
      s00 = f02.fma(x02, s00);
      s00 = f03.fma(x03, s00);
      c00 = FloatVector.broadcast(F, xd0 * da0).blend(xd0 * db0, UPPER).fma(s00, c00);
      FloatVector s01 = f00.mul(x10);
      s01 = f01.fma(x11, s01);
      s01 = f02.fma(x12, s01);
      s01 = f03.fma(x13, s01);
      c01 = FloatVector.broadcast(F, xd1 * da0).blend(xd1 * db0, UPPER).fma(s01, c01);
      FloatVector s02 = f00.mul(x20);
      s02 = f01.fma(x21, s02);
      s02 = f02.fma(x22, s02);
      s02 = f03.fma(x23, s02);
      c02 = FloatVector.broadcast(F, xd2 * da0).blend(xd2 * db0, UPPER).fma(s02, c02);
    }
    c00.intoArray(acc, ac + 0);
    c01.intoArray(acc, ac + 16);
    c02.intoArray(acc, ac + 32);
  }

  /** 1 pair (rows ro[ri ..]) x 4 tokens, as {@link #fusedQ8x8} per token: c[pair][token]. */
  private static void fusedQ8p1t4(MemorySegment data, long[] ro, int ri, int blocks, float[] a, float[] ad, float[] acc, int ac) {
    int ts = blocks * 64;
    long ra0 = ro[ri + 0], rb0 = ro[ri + 1];
    FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
    for (int b = 0; b < blocks; b++) {
      long bo = (long) b * 34;
      int ab = b * 64;
      FloatVector x00 = FloatVector.fromArray(F, a, ab + 0 * ts), x01 = FloatVector.fromArray(F, a, ab + 0 * ts + 16);
      FloatVector x02 = FloatVector.fromArray(F, a, ab + 0 * ts + 32), x03 = FloatVector.fromArray(F, a, ab + 0 * ts + 48);
      float xd0 = ad[0 * blocks + b];
      FloatVector x10 = FloatVector.fromArray(F, a, ab + 1 * ts), x11 = FloatVector.fromArray(F, a, ab + 1 * ts + 16);
      FloatVector x12 = FloatVector.fromArray(F, a, ab + 1 * ts + 32), x13 = FloatVector.fromArray(F, a, ab + 1 * ts + 48);
      float xd1 = ad[1 * blocks + b];
      FloatVector x20 = FloatVector.fromArray(F, a, ab + 2 * ts), x21 = FloatVector.fromArray(F, a, ab + 2 * ts + 16);
      FloatVector x22 = FloatVector.fromArray(F, a, ab + 2 * ts + 32), x23 = FloatVector.fromArray(F, a, ab + 2 * ts + 48);
      float xd2 = ad[2 * blocks + b];
      FloatVector x30 = FloatVector.fromArray(F, a, ab + 3 * ts), x31 = FloatVector.fromArray(F, a, ab + 3 * ts + 16);
      FloatVector x32 = FloatVector.fromArray(F, a, ab + 3 * ts + 32), x33 = FloatVector.fromArray(F, a, ab + 3 * ts + 48);
      float xd3 = ad[3 * blocks + b];
      long oa0 = ra0 + bo, ob0 = rb0 + bo;
      IntVector q0 = IntVector.fromMemorySegment(I, data, oa0 + 2, LE).blend(IntVector.fromMemorySegment(I, data, ob0 + 2 - 32, LE), LANES_8_15);
      FloatVector f00 = (FloatVector) q0.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      FloatVector f01 = (FloatVector) q0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      FloatVector f02 = (FloatVector) q0.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      FloatVector f03 = (FloatVector) q0.lanewise(VectorOperators.ASHR, 24).convert(VectorOperators.I2F, 0);
      float da0 = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, oa0)), db0 = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, ob0));
      FloatVector s00 = f00.mul(x00);
      s00 = f01.fma(x01, s00);
      s00 = f02.fma(x02, s00);
      s00 = f03.fma(x03, s00);
      c00 = FloatVector.broadcast(F, xd0 * da0).blend(xd0 * db0, UPPER).fma(s00, c00);
      FloatVector s01 = f00.mul(x10);
      s01 = f01.fma(x11, s01);
      s01 = f02.fma(x12, s01);
      s01 = f03.fma(x13, s01);
      c01 = FloatVector.broadcast(F, xd1 * da0).blend(xd1 * db0, UPPER).fma(s01, c01);
      FloatVector s02 = f00.mul(x20);
      s02 = f01.fma(x21, s02);
      s02 = f02.fma(x22, s02);
      s02 = f03.fma(x23, s02);
      c02 = FloatVector.broadcast(F, xd2 * da0).blend(xd2 * db0, UPPER).fma(s02, c02);
      FloatVector s03 = f00.mul(x30);
      s03 = f01.fma(x31, s03);
      s03 = f02.fma(x32, s03);
      s03 = f03.fma(x33, s03);
      c03 = FloatVector.broadcast(F, xd3 * da0).blend(xd3 * db0, UPPER).fma(s03, c03);
    }
    c00.intoArray(acc, ac + 0);
    c01.intoArray(acc, ac + 16);
    c02.intoArray(acc, ac + 32);
    c03.intoArray(acc, ac + 48);
  }

  /**
   * vec_dot order, 4 row pairs and 2 tokens (the 8 pairs of a group take two calls): each loaded
   * activation vector serves 4 pairs, each loaded weight vector 2 tokens. Token j's activations are
   * at {@code a[ao + j*sa ..]}, its scales at {@code ad[dOff + j*sd ..]}; pair p's accumulator for
   * token j at {@code acc[ac + p*sacc + j*16]}.
   */
  private static void dot4x2(float[] s, int so, int nb, float[] a, int ao, int sa, float[] ad, int dOff, int sd,
      float[] acc, int ac, int sacc) {
    FloatVector c00 = FloatVector.fromArray(F, acc, ac + 0 * sacc + 0);
    FloatVector c01 = FloatVector.fromArray(F, acc, ac + 0 * sacc + 16);
    FloatVector c10 = FloatVector.fromArray(F, acc, ac + 1 * sacc + 0);
    FloatVector c11 = FloatVector.fromArray(F, acc, ac + 1 * sacc + 16);
    FloatVector c20 = FloatVector.fromArray(F, acc, ac + 2 * sacc + 0);
    FloatVector c21 = FloatVector.fromArray(F, acc, ac + 2 * sacc + 16);
    FloatVector c30 = FloatVector.fromArray(F, acc, ac + 3 * sacc + 0);
    FloatVector c31 = FloatVector.fromArray(F, acc, ac + 3 * sacc + 16);
    int a1 = ao + sa, d1 = dOff + sd;
    for (int b = 0; b < nb; b++) {
      int ab = ao + b * 64, ab1 = a1 + b * 64;
      float da0 = ad[dOff + b], da1 = ad[d1 + b];
      FloatVector x0 = FloatVector.fromArray(F, a, ab), x1 = FloatVector.fromArray(F, a, ab + 16);
      FloatVector x2 = FloatVector.fromArray(F, a, ab + 32), x3 = FloatVector.fromArray(F, a, ab + 48);
      FloatVector y0 = FloatVector.fromArray(F, a, ab1), y1 = FloatVector.fromArray(F, a, ab1 + 16);
      FloatVector y2 = FloatVector.fromArray(F, a, ab1 + 32), y3 = FloatVector.fromArray(F, a, ab1 + 48);
      int o = so + b * PB;
      FloatVector w0 = FloatVector.fromArray(F, s, o), w1 = FloatVector.fromArray(F, s, o + 16);
      FloatVector w2 = FloatVector.fromArray(F, s, o + 32), w3 = FloatVector.fromArray(F, s, o + 48), dw = FloatVector.fromArray(F, s, o + 64);
      FloatVector u0 = w0.mul(x0);
      u0 = w1.fma(x1, u0);
      u0 = w2.fma(x2, u0);
      u0 = w3.fma(x3, u0);
      c00 = dw.mul(da0).fma(u0, c00);
      FloatVector v0 = w0.mul(y0);
      v0 = w1.fma(y1, v0);
      v0 = w2.fma(y2, v0);
      v0 = w3.fma(y3, v0);
      c01 = dw.mul(da1).fma(v0, c01);
      o += PAIR;
      w0 = FloatVector.fromArray(F, s, o);
      w1 = FloatVector.fromArray(F, s, o + 16);
      w2 = FloatVector.fromArray(F, s, o + 32);
      w3 = FloatVector.fromArray(F, s, o + 48);
      dw = FloatVector.fromArray(F, s, o + 64);
      FloatVector u1 = w0.mul(x0);
      u1 = w1.fma(x1, u1);
      u1 = w2.fma(x2, u1);
      u1 = w3.fma(x3, u1);
      c10 = dw.mul(da0).fma(u1, c10);
      FloatVector v1 = w0.mul(y0);
      v1 = w1.fma(y1, v1);
      v1 = w2.fma(y2, v1);
      v1 = w3.fma(y3, v1);
      c11 = dw.mul(da1).fma(v1, c11);
      o += PAIR;
      w0 = FloatVector.fromArray(F, s, o);
      w1 = FloatVector.fromArray(F, s, o + 16);
      w2 = FloatVector.fromArray(F, s, o + 32);
      w3 = FloatVector.fromArray(F, s, o + 48);
      dw = FloatVector.fromArray(F, s, o + 64);
      FloatVector u2 = w0.mul(x0);
      u2 = w1.fma(x1, u2);
      u2 = w2.fma(x2, u2);
      u2 = w3.fma(x3, u2);
      c20 = dw.mul(da0).fma(u2, c20);
      FloatVector v2 = w0.mul(y0);
      v2 = w1.fma(y1, v2);
      v2 = w2.fma(y2, v2);
      v2 = w3.fma(y3, v2);
      c21 = dw.mul(da1).fma(v2, c21);
      o += PAIR;
      w0 = FloatVector.fromArray(F, s, o);
      w1 = FloatVector.fromArray(F, s, o + 16);
      w2 = FloatVector.fromArray(F, s, o + 32);
      w3 = FloatVector.fromArray(F, s, o + 48);
      dw = FloatVector.fromArray(F, s, o + 64);
      FloatVector u3 = w0.mul(x0);
      u3 = w1.fma(x1, u3);
      u3 = w2.fma(x2, u3);
      u3 = w3.fma(x3, u3);
      c30 = dw.mul(da0).fma(u3, c30);
      FloatVector v3 = w0.mul(y0);
      v3 = w1.fma(y1, v3);
      v3 = w2.fma(y2, v3);
      v3 = w3.fma(y3, v3);
      c31 = dw.mul(da1).fma(v3, c31);
    }
    c00.intoArray(acc, ac + 0 * sacc + 0);
    c01.intoArray(acc, ac + 0 * sacc + 16);
    c10.intoArray(acc, ac + 1 * sacc + 0);
    c11.intoArray(acc, ac + 1 * sacc + 16);
    c20.intoArray(acc, ac + 2 * sacc + 0);
    c21.intoArray(acc, ac + 2 * sacc + 16);
    c30.intoArray(acc, ac + 3 * sacc + 0);
    c31.intoArray(acc, ac + 3 * sacc + 16);
  }

  /**
   * vec_dot order, 8 row pairs and one token: per block the token's activations are loaded once for
   * all pairs; pair p's accumulator is {@code acc[ac + p*sacc]}.
   */
  private static void dot8(float[] s, int nb, float[] a, int ao, float[] ad, int dOff, float[] acc, int ac, int sacc) {
    FloatVector c0 = FloatVector.fromArray(F, acc, ac + 0 * sacc);
    FloatVector c1 = FloatVector.fromArray(F, acc, ac + 1 * sacc);
    FloatVector c2 = FloatVector.fromArray(F, acc, ac + 2 * sacc);
    FloatVector c3 = FloatVector.fromArray(F, acc, ac + 3 * sacc);
    FloatVector c4 = FloatVector.fromArray(F, acc, ac + 4 * sacc);
    FloatVector c5 = FloatVector.fromArray(F, acc, ac + 5 * sacc);
    FloatVector c6 = FloatVector.fromArray(F, acc, ac + 6 * sacc);
    FloatVector c7 = FloatVector.fromArray(F, acc, ac + 7 * sacc);
    for (int b = 0; b < nb; b++) {
      int ab = ao + b * 64;
      float da = ad[dOff + b];
      FloatVector x0 = FloatVector.fromArray(F, a, ab);
      FloatVector x1 = FloatVector.fromArray(F, a, ab + 16);
      FloatVector x2 = FloatVector.fromArray(F, a, ab + 32);
      FloatVector x3 = FloatVector.fromArray(F, a, ab + 48);
      int o = b * PB;
      FloatVector s0 = FloatVector.fromArray(F, s, o).mul(x0);
      s0 = FloatVector.fromArray(F, s, o + 16).fma(x1, s0);
      s0 = FloatVector.fromArray(F, s, o + 32).fma(x2, s0);
      s0 = FloatVector.fromArray(F, s, o + 48).fma(x3, s0);
      c0 = FloatVector.fromArray(F, s, o + 64).mul(da).fma(s0, c0);
      o += PAIR;
      FloatVector s1 = FloatVector.fromArray(F, s, o).mul(x0);
      s1 = FloatVector.fromArray(F, s, o + 16).fma(x1, s1);
      s1 = FloatVector.fromArray(F, s, o + 32).fma(x2, s1);
      s1 = FloatVector.fromArray(F, s, o + 48).fma(x3, s1);
      c1 = FloatVector.fromArray(F, s, o + 64).mul(da).fma(s1, c1);
      o += PAIR;
      FloatVector s2 = FloatVector.fromArray(F, s, o).mul(x0);
      s2 = FloatVector.fromArray(F, s, o + 16).fma(x1, s2);
      s2 = FloatVector.fromArray(F, s, o + 32).fma(x2, s2);
      s2 = FloatVector.fromArray(F, s, o + 48).fma(x3, s2);
      c2 = FloatVector.fromArray(F, s, o + 64).mul(da).fma(s2, c2);
      o += PAIR;
      FloatVector s3 = FloatVector.fromArray(F, s, o).mul(x0);
      s3 = FloatVector.fromArray(F, s, o + 16).fma(x1, s3);
      s3 = FloatVector.fromArray(F, s, o + 32).fma(x2, s3);
      s3 = FloatVector.fromArray(F, s, o + 48).fma(x3, s3);
      c3 = FloatVector.fromArray(F, s, o + 64).mul(da).fma(s3, c3);
      o += PAIR;
      FloatVector s4 = FloatVector.fromArray(F, s, o).mul(x0);
      s4 = FloatVector.fromArray(F, s, o + 16).fma(x1, s4);
      s4 = FloatVector.fromArray(F, s, o + 32).fma(x2, s4);
      s4 = FloatVector.fromArray(F, s, o + 48).fma(x3, s4);
      c4 = FloatVector.fromArray(F, s, o + 64).mul(da).fma(s4, c4);
      o += PAIR;
      FloatVector s5 = FloatVector.fromArray(F, s, o).mul(x0);
      s5 = FloatVector.fromArray(F, s, o + 16).fma(x1, s5);
      s5 = FloatVector.fromArray(F, s, o + 32).fma(x2, s5);
      s5 = FloatVector.fromArray(F, s, o + 48).fma(x3, s5);
      c5 = FloatVector.fromArray(F, s, o + 64).mul(da).fma(s5, c5);
      o += PAIR;
      FloatVector s6 = FloatVector.fromArray(F, s, o).mul(x0);
      s6 = FloatVector.fromArray(F, s, o + 16).fma(x1, s6);
      s6 = FloatVector.fromArray(F, s, o + 32).fma(x2, s6);
      s6 = FloatVector.fromArray(F, s, o + 48).fma(x3, s6);
      c6 = FloatVector.fromArray(F, s, o + 64).mul(da).fma(s6, c6);
      o += PAIR;
      FloatVector s7 = FloatVector.fromArray(F, s, o).mul(x0);
      s7 = FloatVector.fromArray(F, s, o + 16).fma(x1, s7);
      s7 = FloatVector.fromArray(F, s, o + 32).fma(x2, s7);
      s7 = FloatVector.fromArray(F, s, o + 48).fma(x3, s7);
      c7 = FloatVector.fromArray(F, s, o + 64).mul(da).fma(s7, c7);
    }
    c0.intoArray(acc, ac + 0 * sacc);
    c1.intoArray(acc, ac + 1 * sacc);
    c2.intoArray(acc, ac + 2 * sacc);
    c3.intoArray(acc, ac + 3 * sacc);
    c4.intoArray(acc, ac + 4 * sacc);
    c5.intoArray(acc, ac + 5 * sacc);
    c6.intoArray(acc, ac + 6 * sacc);
    c7.intoArray(acc, ac + 7 * sacc);
  }

  /**
   * Repacked order, 16 rows and one token: per block, the 8 pairs' lane sums are added across lanes
   * into lane i = row i's block sum, then {@code acc = fma(isum, d_w*d_a, acc)}.
   */
  private static void oneChain(float[] s, int nb, float[] a, int ao, float[] ad, int dOff, float[] dw16, float[] acc, int ac) {
    FloatVector c = FloatVector.fromArray(F, acc, ac);
    for (int b = 0; b < nb; b++) {
      int ab = ao + b * 64;
      FloatVector x0 = FloatVector.fromArray(F, a, ab);
      FloatVector x1 = FloatVector.fromArray(F, a, ab + 16);
      FloatVector x2 = FloatVector.fromArray(F, a, ab + 32);
      FloatVector x3 = FloatVector.fromArray(F, a, ab + 48);
      int o = b * PB;
      FloatVector s0 = FloatVector.fromArray(F, s, o).mul(x0);
      s0 = FloatVector.fromArray(F, s, o + 16).fma(x1, s0);
      s0 = FloatVector.fromArray(F, s, o + 32).fma(x2, s0);
      s0 = FloatVector.fromArray(F, s, o + 48).fma(x3, s0);
      o += PAIR;
      FloatVector s1 = FloatVector.fromArray(F, s, o).mul(x0);
      s1 = FloatVector.fromArray(F, s, o + 16).fma(x1, s1);
      s1 = FloatVector.fromArray(F, s, o + 32).fma(x2, s1);
      s1 = FloatVector.fromArray(F, s, o + 48).fma(x3, s1);
      o += PAIR;
      FloatVector s2 = FloatVector.fromArray(F, s, o).mul(x0);
      s2 = FloatVector.fromArray(F, s, o + 16).fma(x1, s2);
      s2 = FloatVector.fromArray(F, s, o + 32).fma(x2, s2);
      s2 = FloatVector.fromArray(F, s, o + 48).fma(x3, s2);
      o += PAIR;
      FloatVector s3 = FloatVector.fromArray(F, s, o).mul(x0);
      s3 = FloatVector.fromArray(F, s, o + 16).fma(x1, s3);
      s3 = FloatVector.fromArray(F, s, o + 32).fma(x2, s3);
      s3 = FloatVector.fromArray(F, s, o + 48).fma(x3, s3);
      o += PAIR;
      FloatVector s4 = FloatVector.fromArray(F, s, o).mul(x0);
      s4 = FloatVector.fromArray(F, s, o + 16).fma(x1, s4);
      s4 = FloatVector.fromArray(F, s, o + 32).fma(x2, s4);
      s4 = FloatVector.fromArray(F, s, o + 48).fma(x3, s4);
      o += PAIR;
      FloatVector s5 = FloatVector.fromArray(F, s, o).mul(x0);
      s5 = FloatVector.fromArray(F, s, o + 16).fma(x1, s5);
      s5 = FloatVector.fromArray(F, s, o + 32).fma(x2, s5);
      s5 = FloatVector.fromArray(F, s, o + 48).fma(x3, s5);
      o += PAIR;
      FloatVector s6 = FloatVector.fromArray(F, s, o).mul(x0);
      s6 = FloatVector.fromArray(F, s, o + 16).fma(x1, s6);
      s6 = FloatVector.fromArray(F, s, o + 32).fma(x2, s6);
      s6 = FloatVector.fromArray(F, s, o + 48).fma(x3, s6);
      o += PAIR;
      FloatVector s7 = FloatVector.fromArray(F, s, o).mul(x0);
      s7 = FloatVector.fromArray(F, s, o + 16).fma(x1, s7);
      s7 = FloatVector.fromArray(F, s, o + 32).fma(x2, s7);
      s7 = FloatVector.fromArray(F, s, o + 48).fma(x3, s7);
      // exact integer adds: lanes (pair, h, m) -> (pair, h)
      FloatVector v01 = EVEN.selectFrom(s0.reinterpretAsInts(), s1.reinterpretAsInts()).reinterpretAsFloats()
          .add(ODD.selectFrom(s0.reinterpretAsInts(), s1.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector v23 = EVEN.selectFrom(s2.reinterpretAsInts(), s3.reinterpretAsInts()).reinterpretAsFloats()
          .add(ODD.selectFrom(s2.reinterpretAsInts(), s3.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector v45 = EVEN.selectFrom(s4.reinterpretAsInts(), s5.reinterpretAsInts()).reinterpretAsFloats()
          .add(ODD.selectFrom(s4.reinterpretAsInts(), s5.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector v67 = EVEN.selectFrom(s6.reinterpretAsInts(), s7.reinterpretAsInts()).reinterpretAsFloats()
          .add(ODD.selectFrom(s6.reinterpretAsInts(), s7.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector v03 = EVEN.selectFrom(v01.reinterpretAsInts(), v23.reinterpretAsInts()).reinterpretAsFloats()
          .add(ODD.selectFrom(v01.reinterpretAsInts(), v23.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector v47 = EVEN.selectFrom(v45.reinterpretAsInts(), v67.reinterpretAsInts()).reinterpretAsFloats()
          .add(ODD.selectFrom(v45.reinterpretAsInts(), v67.reinterpretAsInts()).reinterpretAsFloats());
      FloatVector isum = EVEN.selectFrom(v03.reinterpretAsInts(), v47.reinterpretAsInts()).reinterpretAsFloats()
          .add(ODD.selectFrom(v03.reinterpretAsInts(), v47.reinterpretAsInts()).reinterpretAsFloats());
      c = isum.fma(FloatVector.fromArray(F, dw16, b * GROUP).mul(ad[dOff + b]), c);
    }
    c.intoArray(acc, ac);
  }

  /** Without 16-lane vectors: the same arithmetic in scalar code, one row at a time. */
  private void scalarRows(int r0, int r1) {
    MemorySegment data = w.data();
    boolean q8 = w.type() == GGMLType.Q8_0;
    int bb = q8 ? 34 : 18;
    float[] lanes = new float[8], xa = x.a;
    for (int r = r0; r < r1; r++) {
      long row = r * rowBytes;
      for (int t = 0; t < x.nTokens; t++) {
        Arrays.fill(lanes, 0f);
        float chain = 0f;
        for (int b = 0; b < x.blocks; b++) {
          long p = row + (long) b * bb;
          float d = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, p)) * x.scale(t, b);
          int ab = (t * x.blocks + b) * Q8Activations.BLOCK_FLOATS;
          int block = 0;
          for (int m = 0; m < 8; m++) {
            int sum = 0;
            for (int k = 0; k < 4; k++) {
              int e = 4 * m + k, q;
              if (q8) q = data.get(ValueLayout.JAVA_BYTE, p + 2 + e);
              else {
                int v = data.get(ValueLayout.JAVA_BYTE, p + 2 + e % 16) & 0xFF;
                q = (e < 16 ? v & 0xF : v >> 4) - 8;
              }
              sum += q * (int) xa[ab + k * 16 + m]; // x.quant(t, 32b + e), read from its lane layout
            }
            lanes[m] = Math.fma(d, (float) sum, lanes[m]);
            block += sum;
          }
          chain = Math.fma((float) block, d, chain);
        }
        out[outOff + t * outStride + r] = repacked ? chain : hsum8(lanes, 0);
      }
    }
  }
}
