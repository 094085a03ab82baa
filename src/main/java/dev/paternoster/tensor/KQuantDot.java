package dev.paternoster.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K, Q5_K and Q6_K weights times {@link Q8KActivations}, computing exactly what llama.cpp's x86
 * CPU backend computes (the orders are spelled out in {@link ReferenceMatmul#llamaCppK}, which the
 * kernels are tested against bit for bit), with the Vector API.
 *
 * <p>Vectors have 16 lanes: lane {@code h*8 + m} is llama.cpp's lane m of row h of a row pair, as
 * in {@link QuantDot}. Per pair and super-block, the weights are decoded once into scratch as
 * integer-valued floats already multiplied by their sub-block scale ({@code W = sc * q}, for each
 * 32-value chunk four vectors {@code W_k[h*8+m] = w_h[4m+k]}), then every token of the batch runs
 * over them: {@code S = sum W_k * A_k} is an exact integer lane sum as long as it stays below
 * 2^24. For Q4_K/Q5_K a whole super-block's lane sum stays below (at most 32 * 63 * 31 * 127);
 * Q6_K's does not (32 * 127 * 63 * 127), so its two halves are summed separately and added as ints.
 * Then, per super-block, the float steps in llama.cpp's order: Q6_K's {@code -32} offset through
 * the activation block sums, the mins through the sub-block sums, one FMA per lane or per row.
 *
 * <p>Q4_K matrices that llama.cpp repacks ({@code q4_K_8x8}, rows a multiple of 8) are multiplied
 * there with one chain per (row, token), and its chain changes with the batch shape: one FMA per
 * super-block for single tokens ({@code gemv}), one per 64 values for groups of 4 ({@code gemm}).
 * Paternoster gives each token the order llama.cpp gives it when its sequence runs alone: gemm
 * for the first {@code P - P % 4} prompt tokens, gemv for the rest and every generated token
 * ({@code promptRows}, from {@code Batch.promptRow}). That depends on the token's sequence and
 * position only, never on its neighbours in the batch.
 */
final class KQuantDot implements Parallel.RangeTask {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  /** Row pairs per work item: their decoded super-block (8 x 2.3 KB) and a token group's activations fit in L1. */
  private static final int GROUP = 8;
  /** Scratch floats per (pair, super-block): W (512), D (16), DMIN (16), MIN or SC0 (16), SC1 (16). */
  private static final int PSB = 576;
  private static final int D_AT = 512, DMIN_AT = 528, MIN_AT = 544, SC0_AT = 544, SC1_AT = 560;
  /** Accumulator floats per token: lanes (16), min lanes (16). */
  private static final int ST = 32;

  private static final VectorMask<Float> UPPER = VectorMask.fromLong(F, 0xFF00L);
  private static final VectorMask<Integer> LANES_8_15 = VectorMask.fromLong(I, 0xFF00L);
  // Two-vector selections on int lanes (constants: C2 compiles these to one permute each)
  private static final IntVector EVEN = indices(i -> i < 8 ? 2 * i : 16 + 2 * (i - 8));
  private static final IntVector ODD = indices(i -> i < 8 ? 2 * i + 1 : 17 + 2 * (i - 8));
  private static final VectorMask<Float> LANES_4_7 = VectorMask.fromLong(F, 0x00F0L);
  private static final VectorMask<Float> LANES_8_11 = VectorMask.fromLong(F, 0x0F00L);
  private static final VectorMask<Float> LANES_12_15 = VectorMask.fromLong(F, 0xF000L);
  private static final VectorShuffle<Float> XOR1 = VectorShuffle.fromOp(F, i -> i ^ 1);
  private static final VectorShuffle<Float> XOR2 = VectorShuffle.fromOp(F, i -> i ^ 2);
  private static final VectorShuffle<Float> XOR4 = VectorShuffle.fromOp(F, i -> i ^ 4);
  private static final VectorShuffle<Integer> IXOR1 = VectorShuffle.fromOp(I, i -> i ^ 1);
  private static final VectorShuffle<Integer> IXOR2 = VectorShuffle.fromOp(I, i -> i ^ 2);
  private static final VectorShuffle<Integer> IXOR4 = VectorShuffle.fromOp(I, i -> i ^ 4);

  private static IntVector indices(java.util.function.IntUnaryOperator f) {
    int[] v = new int[16];
    for (int i = 0; i < 16; i++) v[i] = f.applyAsInt(i);
    return IntVector.fromArray(I, v, 0);
  }

  /**
   * The vector kernels read row pairs with 64-byte loads blended per row: row a's reach forward
   * from the bytes used, row b's start 32 bytes before them, so both stay inside the pair's two
   * rows. An odd last row is therefore read as row b of the pair (rows-2, rows-1). One row alone
   * takes the scalar code.
   */
  static boolean vectorizable(Weight w) {
    return QuantDot.VECTOR && w.rows() >= 2;
  }

  /** Whether llama.cpp repacks this matrix (Q4_K with a multiple of 8 rows, not the embedding table). */
  static boolean repacked(Weight w) {
    return w.type() == GGMLType.Q4_K && w.rows() % 8 == 0 && !w.name().equals("token_embd.weight");
  }

  private static final ThreadLocal<KQuantDot> PER_THREAD = ThreadLocal.withInitial(KQuantDot::new);
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private static final class Scratch {
    final float[] w = new float[GROUP * PSB];
    final long[] rowA = new long[GROUP], rowB = new long[GROUP];
    final float[] small = new float[32];
    final float[] part = new float[4 * 64];
    float[] state = new float[0];
    // the scalar rows' activations, as the reference takes them
    int[] q = new int[0], bs = new int[0];
    float[] d = new float[0];
  }

  private Weight w;
  private Q8KActivations x;
  private boolean[] promptRows;
  private float[] out;
  private int outOff, outStride;

  /** {@code out[outOff + t*outStride + r] = dot(row r of w, token t of x)} for every row and token. */
  static void matmul(Weight w, Q8KActivations x, boolean[] promptRows, float[] out, int outOff, int outStride, Parallel pool) {
    KQuantDot task = PER_THREAD.get();
    task.w = w;
    task.x = x;
    task.promptRows = promptRows;
    task.out = out;
    task.outOff = outOff;
    task.outStride = outStride;
    try {
      if (vectorizable(w)) pool.forRange(((w.rows() + 1) / 2 + GROUP - 1) / GROUP, task);
      else pool.forRange(w.rows(), task::scalarRows);
    } finally {
      task.w = null;
      task.x = null;
      task.promptRows = null;
      task.out = null;
    }
  }

  @Override
  public void run(int g0, int g1) {
    Scratch sc = SCRATCH.get();
    int nt = x.nTokens, supers = x.supers, rows = w.rows(), pairs = (rows + 1) / 2;
    if (sc.state.length < GROUP * nt * ST) sc.state = new float[GROUP * nt * ST];
    float[] s = sc.w, st = sc.state, part = sc.part;
    GGMLType type = w.type();
    boolean repacked = repacked(w);
    int kind = switch (type) {
      case Q6_K -> KIND_Q6;
      case Q5_K -> KIND_Q5;
      default -> repacked ? KIND_Q4_REPACKED : KIND_Q4;
    };
    MemorySegment data = w.data();
    long[] rowA = sc.rowA, rowB = sc.rowB;
    long rowBytes = w.rowBytes();
    for (int g = g0; g < g1; g++) {
      int p0 = g * GROUP, np = Math.min(GROUP, pairs - p0);
      for (int j = 0; j < np; j++) {
        int p = p0 + j;
        // rows 2p, 2p+1; an odd last row is row b of the pair (rows-2, rows-1), row a's lanes unused
        boolean tail = 2 * p + 1 >= rows;
        rowA[j] = (tail ? rows - 2 : 2 * p) * rowBytes;
        rowB[j] = (tail ? rows - 1 : 2 * p + 1) * rowBytes;
      }
      Arrays.fill(st, 0, np * nt * ST, 0f);
      for (int b = 0; b < supers; b++) {
        long bo = (long) b * type.blockBytes;
        for (int j = 0; j < np && nt > 1; j++) {
          switch (type) {
            case Q6_K -> decodeQ6(data, rowA[j] + bo, rowB[j] + bo, s, j * PSB);
            case Q5_K -> decodeQ45(data, rowA[j] + bo, rowB[j] + bo, true, s, j * PSB, sc.small);
            default -> decodeQ45(data, rowA[j] + bo, rowB[j] + bo, false, s, j * PSB, sc.small);
          }
        }
        // tokens outer, pairs inner: a token group's activations (8 KB) stay in L1 for all pairs
        int stride = x.chunks * 64, t = 0;
        for (; t + 4 <= nt; t += 4) {
          int ao = (t * x.chunks + 8 * b) * 64;
          for (int j = 0; j < np; j++) {
            partials4(s, j * PSB, x.a, ao, ao + stride, ao + 2 * stride, ao + 3 * stride, part);
            for (int k = 0; k < 4; k++) epilogue(kind, s, j * PSB, part, 64 * k, t + k, b, st, (j * nt + t + k) * ST, sc.small);
          }
        }
        for (; t < nt; t++) {
          int ao = (t * x.chunks + 8 * b) * 64;
          for (int j = 0; j < np; j++) {
            if (nt == 1) {
              // one token: the weights are used once, decode them into registers (the scratch decode above is skipped)
              if (kind == KIND_Q6) decodeDotQ6(data, rowA[j] + bo, rowB[j] + bo, s, j * PSB, x.a, ao, part);
              else decodeDotQ45(data, rowA[j] + bo, rowB[j] + bo, kind == KIND_Q5, s, j * PSB, sc.small, x.a, ao, part);
            } else {
              partials1(s, j * PSB, x.a, ao, part);
            }
            epilogue(kind, s, j * PSB, part, 0, t, b, st, (j * nt + t) * ST, sc.small);
          }
        }
      }
      for (int j = 0; j < np; j++) {
        int p = p0 + j;
        boolean tail = 2 * p + 1 >= rows;
        for (int t = 0; t < nt; t++) {
          int o = outOff + t * outStride, so = (j * nt + t) * ST;
          for (int h = tail ? 1 : 0; h < 2; h++) {
            int r = tail ? rows - 1 : 2 * p + h;
            int l = so + 8 * h, m = so + 16 + 8 * h;
            float acc = ((st[l] + st[l + 4]) + (st[l + 2] + st[l + 6])) + ((st[l + 1] + st[l + 5]) + (st[l + 3] + st[l + 7]));
            out[o + r] = switch (kind) {
              case KIND_Q6 -> acc;
              case KIND_Q5 -> acc + st[m];
              case KIND_Q4 -> acc + ((st[m] + st[m + 4]) + (st[m + 2] + st[m + 6]));
              default -> st[l] - st[m];
            };
          }
        }
      }
    }
  }

  // Vectors never cross a method boundary below (a vector passed to a method C2 does not inline is boxed).

  /**
   * Q4_K/Q5_K super-block of rows a and b into scratch: W vectors (sub-block scale times quant),
   * D = (d_a x8, d_b x8), DMIN likewise, MIN lanes h*8+j = min_h[j].
   */
  private static void decodeQ45(MemorySegment data, long oa, long ob, boolean five, float[] s, int o, float[] small) {
    scalesQ45(data, oa, ob, s, o, small);
    long qa = oa + (five ? 48 : 16), qb = ob + (five ? 48 : 16);
    // Q5_K's fifth bits: bit c of qh[l] is element l of chunk c (for Q4_K the mask is 0: no branch,
    // no vector phi for C2 to box)
    IntVector qh = IntVector.fromMemorySegment(I, data, oa + 16, LE).blend(IntVector.fromMemorySegment(I, data, ob + 16 - 32, LE), LANES_8_15);
    int fifth = five ? 0x01010101 : 0;
    for (int g = 0; g < 4; g++) {
      IntVector q = IntVector.fromMemorySegment(I, data, qa + 32 * g, LE)
          .blend(IntVector.fromMemorySegment(I, data, qb + 32 * g - 32, LE), LANES_8_15);
      int c = 2 * g, wo = o + c * 64;
      // chunk 2g: low nibbles
      FloatVector scale = FloatVector.broadcast(F, small[c]).blend(small[8 + c], UPPER);
      IntVector nib = q.and(0x0F0F0F0F).or(qh.lanewise(VectorOperators.LSHR, c).and(fifth).lanewise(VectorOperators.LSHL, 4));
      ((FloatVector) nib.and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo);
      ((FloatVector) nib.lanewise(VectorOperators.LSHR, 8).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo + 16);
      ((FloatVector) nib.lanewise(VectorOperators.LSHR, 16).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo + 32);
      ((FloatVector) nib.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo + 48);
      // chunk 2g+1: high nibbles
      FloatVector scale1 = FloatVector.broadcast(F, small[c + 1]).blend(small[9 + c], UPPER);
      IntVector nib1 = q.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F)
          .or(qh.lanewise(VectorOperators.LSHR, c + 1).and(fifth).lanewise(VectorOperators.LSHL, 4));
      ((FloatVector) nib1.and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale1).intoArray(s, wo + 64);
      ((FloatVector) nib1.lanewise(VectorOperators.LSHR, 8).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale1).intoArray(s, wo + 80);
      ((FloatVector) nib1.lanewise(VectorOperators.LSHR, 16).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale1).intoArray(s, wo + 96);
      ((FloatVector) nib1.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).mul(scale1).intoArray(s, wo + 112);
    }
  }

  /**
   * One token: {@link #decodeQ45}'s scales into scratch, but the weight vectors go straight into
   * the four 64-value group sums ({@code part[16g..]}, as {@link #partials1} makes them) instead of
   * through scratch.
   */
  private static void decodeDotQ45(MemorySegment data, long oa, long ob, boolean five, float[] s, int o, float[] small,
      float[] a, int ao, float[] part) {
    scalesQ45(data, oa, ob, s, o, small);
    long qa = oa + (five ? 48 : 16), qb = ob + (five ? 48 : 16);
    IntVector qh = IntVector.fromMemorySegment(I, data, oa + 16, LE).blend(IntVector.fromMemorySegment(I, data, ob + 16 - 32, LE), LANES_8_15);
    int fifth = five ? 0x01010101 : 0;
    for (int g = 0; g < 4; g++) {
      IntVector q = IntVector.fromMemorySegment(I, data, qa + 32 * g, LE)
          .blend(IntVector.fromMemorySegment(I, data, qb + 32 * g - 32, LE), LANES_8_15);
      int c = 2 * g, xo = ao + c * 64;
      FloatVector scale = FloatVector.broadcast(F, small[c]).blend(small[8 + c], UPPER);
      IntVector nib = q.and(0x0F0F0F0F).or(qh.lanewise(VectorOperators.LSHR, c).and(fifth).lanewise(VectorOperators.LSHL, 4));
      FloatVector sum = ((FloatVector) nib.and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).mul(FloatVector.fromArray(F, a, xo));
      sum = ((FloatVector) nib.lanewise(VectorOperators.LSHR, 8).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale)
          .fma(FloatVector.fromArray(F, a, xo + 16), sum);
      sum = ((FloatVector) nib.lanewise(VectorOperators.LSHR, 16).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale)
          .fma(FloatVector.fromArray(F, a, xo + 32), sum);
      sum = ((FloatVector) nib.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).mul(scale)
          .fma(FloatVector.fromArray(F, a, xo + 48), sum);
      // a second chain for the high nibbles (exact sums: the order is free, two chains halve the latency)
      FloatVector scale1 = FloatVector.broadcast(F, small[c + 1]).blend(small[9 + c], UPPER);
      IntVector nib1 = q.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F)
          .or(qh.lanewise(VectorOperators.LSHR, c + 1).and(fifth).lanewise(VectorOperators.LSHL, 4));
      FloatVector sum1 = ((FloatVector) nib1.and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale1).mul(FloatVector.fromArray(F, a, xo + 64));
      sum1 = ((FloatVector) nib1.lanewise(VectorOperators.LSHR, 8).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale1)
          .fma(FloatVector.fromArray(F, a, xo + 80), sum1);
      sum1 = ((FloatVector) nib1.lanewise(VectorOperators.LSHR, 16).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale1)
          .fma(FloatVector.fromArray(F, a, xo + 96), sum1);
      sum1 = ((FloatVector) nib1.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).mul(scale1)
          .fma(FloatVector.fromArray(F, a, xo + 112), sum1);
      sum.add(sum1).intoArray(part, 16 * g);
    }
  }

  /** A Q4_K/Q5_K row pair's scales into scratch: D, DMIN, MIN (lanes h*8+j = min_h[j]); the sub-block scales into {@code small}. */
  private static void scalesQ45(MemorySegment data, long oa, long ob, float[] s, int o, float[] small) {
    float da = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, oa));
    float db = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, ob));
    float ma = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, oa + 2));
    float mb = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, ob + 2));
    FloatVector.broadcast(F, da).blend(db, UPPER).intoArray(s, o + D_AT);
    FloatVector.broadcast(F, ma).blend(mb, UPPER).intoArray(s, o + DMIN_AT);
    unpackScales(data.get(ValueLayout.JAVA_LONG_UNALIGNED, oa + 4), data.get(ValueLayout.JAVA_INT_UNALIGNED, oa + 12), small, 0, s, o + MIN_AT);
    unpackScales(data.get(ValueLayout.JAVA_LONG_UNALIGNED, ob + 4), data.get(ValueLayout.JAVA_INT_UNALIGNED, ob + 12), small, 8, s, o + MIN_AT + 8);
  }

  /** A Q6_K row pair's scales into scratch: D, and the 16 signed scales of each row as SC0/SC1 (lanes h*8+m = sc_h[2m], sc_h[2m+1]). */
  private static void scalesQ6(MemorySegment data, long oa, long ob, float[] s, int o) {
    float da = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, oa + 208));
    float db = Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, ob + 208));
    FloatVector.broadcast(F, da).blend(db, UPPER).intoArray(s, o + D_AT);
    for (int m = 0; m < 8; m++) {
      s[o + SC0_AT + m] = data.get(ValueLayout.JAVA_BYTE, oa + 192 + 2 * m);
      s[o + SC1_AT + m] = data.get(ValueLayout.JAVA_BYTE, oa + 193 + 2 * m);
      s[o + SC0_AT + 8 + m] = data.get(ValueLayout.JAVA_BYTE, ob + 192 + 2 * m);
      s[o + SC1_AT + 8 + m] = data.get(ValueLayout.JAVA_BYTE, ob + 193 + 2 * m);
    }
  }

  /**
   * The 8 six-bit scales and mins of a Q4_K/Q5_K super-block from its 12 packed bytes (bytes 0-7 in
   * {@code lo}, 8-11 in {@code hi}), four at a time within an int: scales 0-3 are the low 6 bits of
   * bytes 0-3 and mins 0-3 of bytes 4-7; scales 4-7 take the low nibbles of bytes 8-11 and the top
   * 2 bits of bytes 0-3 above them, mins 4-7 the high nibbles and the top bits of bytes 4-7.
   */
  private static void unpackScales(long lo, int hi, float[] scales, int so, float[] mins, int mo) {
    int lo0 = (int) lo, lo1 = (int) (lo >>> 32);
    int sc03 = lo0 & 0x3F3F3F3F, mn03 = lo1 & 0x3F3F3F3F;
    int sc47 = (hi & 0x0F0F0F0F) | ((lo0 >>> 2) & 0x30303030);
    int mn47 = ((hi >>> 4) & 0x0F0F0F0F) | ((lo1 >>> 2) & 0x30303030);
    for (int k = 0; k < 4; k++) {
      scales[so + k] = (sc03 >>> (8 * k)) & 0xFF;
      scales[so + 4 + k] = (sc47 >>> (8 * k)) & 0xFF;
      mins[mo + k] = (mn03 >>> (8 * k)) & 0xFF;
      mins[mo + 4 + k] = (mn47 >>> (8 * k)) & 0xFF;
    }
  }

  /**
   * Q6_K super-block of rows a and b into scratch: W vectors (scale times the unsigned 6-bit quant),
   * D, and SC0/SC1 lanes h*8+m = sc_h[2m], sc_h[2m+1] (for the {@code -32} offset term).
   */
  private static void decodeQ6(MemorySegment data, long oa, long ob, float[] s, int o) {
    scalesQ6(data, oa, ob, s, o);
    // one loop body (C2 inlines and intrinsifies a small method whole; unrolled code hit its node limit)
    for (int c = 0; c < 8; c++) {
      // chunk c = 4*half + quarter: ql bytes at 64*half + 32*(quarter&1), low nibbles for quarters 0-1,
      // high for 2-3; the top two bits from qh[32*half ..] bits 2*quarter
      int half = c >> 2, quarter = c & 3;
      long la = oa + 64L * half + 32 * (quarter & 1), lb = ob + 64L * half + 32 * (quarter & 1);
      long ha = oa + 128 + 32L * half, hb = ob + 128 + 32L * half;
      IntVector ql = IntVector.fromMemorySegment(I, data, la, LE).blend(IntVector.fromMemorySegment(I, data, lb - 32, LE), LANES_8_15);
      IntVector qh = IntVector.fromMemorySegment(I, data, ha, LE).blend(IntVector.fromMemorySegment(I, data, hb - 32, LE), LANES_8_15);
      IntVector q = ql.lanewise(VectorOperators.LSHR, 4 * (quarter >> 1)).and(0x0F0F0F0F)
          .or(qh.lanewise(VectorOperators.LSHR, 2 * quarter).and(0x03030303).lanewise(VectorOperators.LSHL, 4));
      // lanes h*8+m: sc_h[2c + m/4] (SC0 lane h*8+c holds sc_h[2c], SC1 sc_h[2c+1])
      FloatVector scale = FloatVector.broadcast(F, s[o + SC0_AT + c]).blend(s[o + SC1_AT + c], LANES_4_7)
          .blend(s[o + SC0_AT + 8 + c], LANES_8_11).blend(s[o + SC1_AT + 8 + c], LANES_12_15);
      int wo = o + c * 64;
      ((FloatVector) q.and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo);
      ((FloatVector) q.lanewise(VectorOperators.LSHR, 8).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo + 16);
      ((FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo + 32);
      ((FloatVector) q.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo + 48);
    }
  }

  /**
   * The exact integer lane sums of one decoded super-block (at {@code s[o..]}) with 4 tokens
   * (activations at {@code a[ao0..]} .. {@code a[ao3..]}), per 64-value group g:
   * {@code part[t*64 + g*16 ..]} = sum over chunks 2g, 2g+1 and k of {@code W_k * A_k}. Each weight
   * vector is loaded once for the 4 tokens.
   */
  private static void partials4(float[] s, int o, float[] a, int ao0, int ao1, int ao2, int ao3, float[] part) {
    for (int g = 0; g < 4; g++) {
      FloatVector p0 = FloatVector.zero(F), p1 = FloatVector.zero(F), p2 = FloatVector.zero(F), p3 = FloatVector.zero(F);
      for (int j = 0; j < 8; j++) {
        int off = g * 128 + j * 16;
        FloatVector w = FloatVector.fromArray(F, s, o + off);
        p0 = w.fma(FloatVector.fromArray(F, a, ao0 + off), p0);
        p1 = w.fma(FloatVector.fromArray(F, a, ao1 + off), p1);
        p2 = w.fma(FloatVector.fromArray(F, a, ao2 + off), p2);
        p3 = w.fma(FloatVector.fromArray(F, a, ao3 + off), p3);
      }
      p0.intoArray(part, g * 16);
      p1.intoArray(part, 64 + g * 16);
      p2.intoArray(part, 128 + g * 16);
      p3.intoArray(part, 192 + g * 16);
    }
  }

  /** {@link #partials4} for one token. */
  private static void partials1(float[] s, int o, float[] a, int ao, float[] part) {
    for (int g = 0; g < 4; g++) {
      FloatVector p0 = FloatVector.zero(F);
      for (int j = 0; j < 8; j++) {
        int off = g * 128 + j * 16;
        p0 = FloatVector.fromArray(F, s, o + off).fma(FloatVector.fromArray(F, a, ao + off), p0);
      }
      p0.intoArray(part, g * 16);
    }
  }

  /**
   * One token: {@link #decodeQ6}'s scales into scratch, the weight vectors straight into the four
   * 64-value group sums {@code part[16g..]} (two chains per group, one per 32-value chunk).
   */
  private static void decodeDotQ6(MemorySegment data, long oa, long ob, float[] s, int o, float[] a, int ao, float[] part) {
    scalesQ6(data, oa, ob, s, o);
    for (int g = 0; g < 4; g++) {
      // chunks 2g and 2g+1: half g/2, quarters 2(g&1) and 2(g&1)+1 (ql at +0 and +32, same nibble)
      int half = g >> 1, nibble = 4 * (g & 1), q0 = 2 * (g & 1), c = 2 * g;
      long la = oa + 64L * half, lb = ob + 64L * half, ha = oa + 128 + 32L * half, hb = ob + 128 + 32L * half;
      IntVector qh = IntVector.fromMemorySegment(I, data, ha, LE).blend(IntVector.fromMemorySegment(I, data, hb - 32, LE), LANES_8_15);
      IntVector l0 = IntVector.fromMemorySegment(I, data, la, LE).blend(IntVector.fromMemorySegment(I, data, lb - 32, LE), LANES_8_15);
      IntVector l1 = IntVector.fromMemorySegment(I, data, la + 32, LE).blend(IntVector.fromMemorySegment(I, data, lb, LE), LANES_8_15);
      IntVector w0 = l0.lanewise(VectorOperators.LSHR, nibble).and(0x0F0F0F0F)
          .or(qh.lanewise(VectorOperators.LSHR, 2 * q0).and(0x03030303).lanewise(VectorOperators.LSHL, 4));
      IntVector w1 = l1.lanewise(VectorOperators.LSHR, nibble).and(0x0F0F0F0F)
          .or(qh.lanewise(VectorOperators.LSHR, 2 * q0 + 2).and(0x03030303).lanewise(VectorOperators.LSHL, 4));
      FloatVector s0 = FloatVector.broadcast(F, s[o + SC0_AT + c]).blend(s[o + SC1_AT + c], LANES_4_7)
          .blend(s[o + SC0_AT + 8 + c], LANES_8_11).blend(s[o + SC1_AT + 8 + c], LANES_12_15);
      FloatVector s1 = FloatVector.broadcast(F, s[o + SC0_AT + c + 1]).blend(s[o + SC1_AT + c + 1], LANES_4_7)
          .blend(s[o + SC0_AT + 9 + c], LANES_8_11).blend(s[o + SC1_AT + 9 + c], LANES_12_15);
      int xo = ao + c * 64;
      FloatVector sum0 = ((FloatVector) w0.and(0xFF).convert(VectorOperators.I2F, 0)).mul(s0).mul(FloatVector.fromArray(F, a, xo));
      FloatVector sum1 = ((FloatVector) w1.and(0xFF).convert(VectorOperators.I2F, 0)).mul(s1).mul(FloatVector.fromArray(F, a, xo + 64));
      sum0 = ((FloatVector) w0.lanewise(VectorOperators.LSHR, 8).and(0xFF).convert(VectorOperators.I2F, 0)).mul(s0)
          .fma(FloatVector.fromArray(F, a, xo + 16), sum0);
      sum1 = ((FloatVector) w1.lanewise(VectorOperators.LSHR, 8).and(0xFF).convert(VectorOperators.I2F, 0)).mul(s1)
          .fma(FloatVector.fromArray(F, a, xo + 80), sum1);
      sum0 = ((FloatVector) w0.lanewise(VectorOperators.LSHR, 16).and(0xFF).convert(VectorOperators.I2F, 0)).mul(s0)
          .fma(FloatVector.fromArray(F, a, xo + 32), sum0);
      sum1 = ((FloatVector) w1.lanewise(VectorOperators.LSHR, 16).and(0xFF).convert(VectorOperators.I2F, 0)).mul(s1)
          .fma(FloatVector.fromArray(F, a, xo + 96), sum1);
      sum0 = ((FloatVector) w0.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).mul(s0)
          .fma(FloatVector.fromArray(F, a, xo + 48), sum0);
      sum1 = ((FloatVector) w1.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).mul(s1)
          .fma(FloatVector.fromArray(F, a, xo + 112), sum1);
      sum0.add(sum1).intoArray(part, 16 * g);
    }
  }

  /**
   * Q6_K, one token and super-block: the two halves' sums (each exact in float) added as ints, the
   * {@code -32} offset term, one FMA per lane. {@code pp}: the token's partials; {@code sb}: its
   * Q8_K sums for this super-block; {@code da}: its scale.
   */
  private static void q6(float[] s, int o, float[] part, int pp, float da, float[] sums, int sb, float[] st, int sto) {
    FloatVector h0 = FloatVector.fromArray(F, part, pp).add(FloatVector.fromArray(F, part, pp + 16));
    FloatVector h1 = FloatVector.fromArray(F, part, pp + 32).add(FloatVector.fromArray(F, part, pp + 48));
    // 32 * (bsums[2m]*sc[2m] + bsums[2m+1]*sc[2m+1]): exact in float (below 2^24)
    FloatVector off = FloatVector.fromArray(F, sums, sb + 16).mul(FloatVector.fromArray(F, s, o + SC0_AT))
        .add(FloatVector.fromArray(F, sums, sb + 32).mul(FloatVector.fromArray(F, s, o + SC1_AT))).mul(32f);
    IntVector sumi = ((IntVector) h0.convert(VectorOperators.F2I, 0)).add((IntVector) h1.convert(VectorOperators.F2I, 0))
        .sub((IntVector) off.convert(VectorOperators.F2I, 0));
    FloatVector.fromArray(F, s, o + D_AT).mul(da).fma((FloatVector) sumi.convert(VectorOperators.I2F, 0), FloatVector.fromArray(F, st, sto))
        .intoArray(st, sto);
  }

  /** Q5_K, one token and super-block: one FMA per lane; the mins' sum per row into {@code summs} (every lane of the row's half). */
  private static void q5(float[] s, int o, float[] part, int pp, float da, float[] sums, int sb, float[] st, int sto) {
    FloatVector sum = FloatVector.fromArray(F, part, pp).add(FloatVector.fromArray(F, part, pp + 16))
        .add(FloatVector.fromArray(F, part, pp + 32)).add(FloatVector.fromArray(F, part, pp + 48));
    // mins: sum_j min[j] * (bsums[2j] + bsums[2j+1]), exact, summed over each half's 8 lanes
    FloatVector mp = FloatVector.fromArray(F, s, o + MIN_AT).mul(FloatVector.fromArray(F, sums, sb));
    mp = mp.add(mp.rearrange(XOR1));
    mp = mp.add(mp.rearrange(XOR2));
    mp = mp.add(mp.rearrange(XOR4));
    FloatVector.fromArray(F, s, o + DMIN_AT).mul(-da).fma(mp, FloatVector.fromArray(F, st, sto + 16)).intoArray(st, sto + 16);
    FloatVector.fromArray(F, s, o + D_AT).mul(da).fma(sum, FloatVector.fromArray(F, st, sto)).intoArray(st, sto);
  }

  /** Q4_K in vec_dot order: as Q5_K, the mins in four lanes per row (lanes 0, 2, 4, 6 of the row's half). */
  private static void q4(float[] s, int o, float[] part, int pp, float da, float[] sums, int sb, float[] st, int sto) {
    FloatVector sum = FloatVector.fromArray(F, part, pp).add(FloatVector.fromArray(F, part, pp + 16))
        .add(FloatVector.fromArray(F, part, pp + 32)).add(FloatVector.fromArray(F, part, pp + 48));
    FloatVector mp = FloatVector.fromArray(F, s, o + MIN_AT).mul(FloatVector.fromArray(F, sums, sb));
    mp = mp.add(mp.rearrange(XOR1)); // lane 2t: min[2t]*.. + min[2t+1]*.., llama.cpp's madd lane t
    FloatVector.fromArray(F, s, o + DMIN_AT).mul(-da).fma(mp, FloatVector.fromArray(F, st, sto + 16)).intoArray(st, sto + 16);
    FloatVector.fromArray(F, s, o + D_AT).mul(da).fma(sum, FloatVector.fromArray(F, st, sto)).intoArray(st, sto);
  }

  /** Repacked Q4_K, gemv chain: the row's whole integer sum (ints past 2^24), one FMA per row and super-block. */
  private static void q4Gemv(float[] s, int o, float[] part, int pp, float da, float[] sums, int sb, float[] st, int sto) {
    FloatVector h0 = FloatVector.fromArray(F, part, pp).add(FloatVector.fromArray(F, part, pp + 16));
    FloatVector h1 = FloatVector.fromArray(F, part, pp + 32).add(FloatVector.fromArray(F, part, pp + 48));
    IntVector isum = ((IntVector) h0.convert(VectorOperators.F2I, 0)).add((IntVector) h1.convert(VectorOperators.F2I, 0));
    isum = isum.add(isum.rearrange(IXOR1));
    isum = isum.add(isum.rearrange(IXOR2));
    isum = isum.add(isum.rearrange(IXOR4));
    FloatVector mp = FloatVector.fromArray(F, s, o + MIN_AT).mul(FloatVector.fromArray(F, sums, sb));
    mp = mp.add(mp.rearrange(XOR1));
    mp = mp.add(mp.rearrange(XOR2));
    mp = mp.add(mp.rearrange(XOR4));
    ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, s, o + D_AT).mul(da), FloatVector.fromArray(F, st, sto))
        .intoArray(st, sto);
    mp.fma(FloatVector.fromArray(F, s, o + DMIN_AT).mul(da), FloatVector.fromArray(F, st, sto + 16)).intoArray(st, sto + 16);
  }

  /**
   * Repacked Q4_K, gemm chain (prompt rows): one FMA per row and 64 values. The four groups' row
   * sums (exact in float) come out of one transposing tree of exact adds: lane 2g+h = group g of
   * row h; then the two rows' chains run in scalar code, in llama.cpp's order.
   */
  private static void q4Gemm(float[] s, int o, float[] part, int pp, float da, float[] sums, int sb, float[] st, int sto, float[] tmp) {
    IntVector p0 = FloatVector.fromArray(F, part, pp).reinterpretAsInts(), p1 = FloatVector.fromArray(F, part, pp + 16).reinterpretAsInts();
    IntVector p2 = FloatVector.fromArray(F, part, pp + 32).reinterpretAsInts(), p3 = FloatVector.fromArray(F, part, pp + 48).reinterpretAsInts();
    FloatVector v01 = EVEN.selectFrom(p0, p1).reinterpretAsFloats().add(ODD.selectFrom(p0, p1).reinterpretAsFloats());
    FloatVector v23 = EVEN.selectFrom(p2, p3).reinterpretAsFloats().add(ODD.selectFrom(p2, p3).reinterpretAsFloats());
    IntVector u01 = v01.reinterpretAsInts(), u23 = v23.reinterpretAsInts();
    FloatVector v = EVEN.selectFrom(u01, u23).reinterpretAsFloats().add(ODD.selectFrom(u01, u23).reinterpretAsFloats());
    IntVector u = v.reinterpretAsInts();
    EVEN.selectFrom(u, u).reinterpretAsFloats().add(ODD.selectFrom(u, u).reinterpretAsFloats()).intoArray(tmp, 0);
    FloatVector mp = FloatVector.fromArray(F, s, o + MIN_AT).mul(FloatVector.fromArray(F, sums, sb));
    mp.add(mp.rearrange(XOR1)).intoArray(tmp, 16); // lane h*8 + 2g: group g's min term of row h
    for (int h = 0; h < 2; h++) {
      float ds = s[o + D_AT + 8 * h] * da, dms = s[o + DMIN_AT + 8 * h] * da;
      float acc = st[sto + 8 * h], accMin = st[sto + 16 + 8 * h];
      for (int g = 0; g < 4; g++) {
        acc = Math.fma(tmp[2 * g + h], ds, acc);
        accMin = Math.fma(tmp[16 + 8 * h + 2 * g], dms, accMin);
      }
      st[sto + 8 * h] = acc;
      st[sto + 16 + 8 * h] = accMin;
    }
  }

  /**
   * The epilogue of {@code kind} for token t's partials at {@code part[pp..]}, super-block b of the
   * pair decoded at {@code s[o..]}, accumulators at {@code st[sto..]}.
   */
  private void epilogue(int kind, float[] s, int o, float[] part, int pp, int t, int b, float[] st, int sto, float[] tmp) {
    int tb = t * x.supers + b, sb = tb * Q8KActivations.SUMS;
    float da = x.d[tb];
    switch (kind) {
      case KIND_Q6 -> q6(s, o, part, pp, da, x.sums, sb, st, sto);
      case KIND_Q5 -> q5(s, o, part, pp, da, x.sums, sb, st, sto);
      case KIND_Q4 -> q4(s, o, part, pp, da, x.sums, sb, st, sto);
      default -> {
        if (promptRows != null && promptRows[t]) q4Gemm(s, o, part, pp, da, x.sums, sb, st, sto, tmp);
        else q4Gemv(s, o, part, pp, da, x.sums, sb, st, sto);
      }
    }
  }

  private static final int KIND_Q6 = 0, KIND_Q5 = 1, KIND_Q4 = 2, KIND_Q4_REPACKED = 3;

  /** Without 16-lane vectors (and for the first and last rows): the scalar reference arithmetic. */
  private void scalarRows(int r0, int r1) {
    Scratch sc = SCRATCH.get();
    int cols = w.cols(), supers = x.supers;
    if (sc.q.length < cols) {
      sc.q = new int[cols];
      sc.bs = new int[cols / 16];
      sc.d = new float[supers];
    }
    for (int t = 0; t < x.nTokens; t++) {
      for (int i = 0; i < cols; i++) sc.q[i] = x.quant(t, i);
      for (int b = 0; b < supers; b++) {
        sc.d[b] = x.scale(t, b);
        for (int i = 0; i < 16; i++) sc.bs[16 * b + i] = x.bsum(t, b, i);
      }
      boolean gemm = promptRows != null && promptRows[t];
      for (int r = r0; r < r1; r++) out[outOff + t * outStride + r] = ReferenceMatmul.llamaCppKRow(w, r, sc.q, sc.d, sc.bs, gemm);
    }
  }
}
