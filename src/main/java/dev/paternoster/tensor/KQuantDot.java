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

  /** Super-blocks decoded per chunk. */
  private static final int CHUNK = 4;
  /** Scratch floats per (pair, super-block): W (512), D (16), DMIN (16), MIN or SC0 (16), SC1 (16). */
  private static final int PSB = 576;
  private static final int D_AT = 512, DMIN_AT = 528, MIN_AT = 544, SC0_AT = 544, SC1_AT = 560;
  /** Accumulator floats per token: lanes (16), min lanes (16). */
  private static final int ST = 32;

  private static final VectorMask<Float> UPPER = VectorMask.fromLong(F, 0xFF00L);
  private static final VectorMask<Integer> LANES_0_7 = VectorMask.fromLong(I, 0x00FFL);
  private static final VectorMask<Integer> LANES_8_15 = VectorMask.fromLong(I, 0xFF00L);
  private static final VectorShuffle<Float> XOR1 = VectorShuffle.fromOp(F, i -> i ^ 1);
  private static final VectorShuffle<Float> XOR2 = VectorShuffle.fromOp(F, i -> i ^ 2);
  private static final VectorShuffle<Float> XOR4 = VectorShuffle.fromOp(F, i -> i ^ 4);
  private static final VectorShuffle<Integer> IXOR1 = VectorShuffle.fromOp(I, i -> i ^ 1);
  private static final VectorShuffle<Integer> IXOR2 = VectorShuffle.fromOp(I, i -> i ^ 2);
  private static final VectorShuffle<Integer> IXOR4 = VectorShuffle.fromOp(I, i -> i ^ 4);
  /** Gemm's min term of 64-value group g: lane 2g of each half, broadcast over the half. */
  private static final VectorShuffle<Float>[] MIN_PAIR = minPairs();

  @SuppressWarnings("unchecked")
  private static VectorShuffle<Float>[] minPairs() {
    VectorShuffle<Float>[] r = new VectorShuffle[4];
    for (int g = 0; g < 4; g++) {
      int gg = g;
      r[g] = VectorShuffle.fromOp(F, i -> (i & 8) + 2 * gg);
    }
    return r;
  }

  /** Q6_K scales: lanes h*8+m take sc_h[2c + m/4] from (row a's 16 scales, row b's 16 scales). */
  private static final IntVector[] Q6_SCALE = new IntVector[8];
  private static final IntVector EVEN = indices(i -> i < 8 ? 2 * i : 16 + 2 * (i - 8));
  private static final IntVector ODD = indices(i -> i < 8 ? 2 * i + 1 : 17 + 2 * (i - 8));

  static {
    for (int c = 0; c < 8; c++) {
      int cc = c;
      Q6_SCALE[c] = indices(i -> (i < 8 ? 0 : 16) + 2 * cc + (i % 8) / 4);
    }
  }

  private static IntVector indices(java.util.function.IntUnaryOperator f) {
    int[] v = new int[16];
    for (int i = 0; i < 16; i++) v[i] = f.applyAsInt(i);
    return IntVector.fromArray(I, v, 0);
  }

  /** The vector kernels read rows 1 .. rows-2 only (see {@link QuantDot#vectorizable}); K-quant rows span at least 144 bytes. */
  static boolean vectorizable(Weight w) {
    return QuantDot.VECTOR && w.rows() >= 3;
  }

  /** Whether llama.cpp repacks this matrix (Q4_K with a multiple of 8 rows, not the embedding table). */
  static boolean repacked(Weight w) {
    return w.type() == GGMLType.Q4_K && w.rows() % 8 == 0 && !w.name().equals("token_embd.weight");
  }

  private static final ThreadLocal<KQuantDot> PER_THREAD = ThreadLocal.withInitial(KQuantDot::new);
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private static final class Scratch {
    final float[] w = new float[CHUNK * PSB];
    final float[] small = new float[32];
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
      if (vectorizable(w)) pool.forRange((w.rows() + 1) / 2, task);
      else pool.forRange(w.rows(), task::scalarRows);
    } finally {
      task.w = null;
      task.x = null;
      task.promptRows = null;
      task.out = null;
    }
  }

  private static int inner(int r, int rows) {
    return r <= 0 ? 1 : Math.min(r, rows - 2);
  }

  private static boolean interior(int r, int rows) {
    return r > 0 && r < rows - 1;
  }

  @Override
  public void run(int p0, int p1) {
    Scratch sc = SCRATCH.get();
    int nt = x.nTokens, supers = x.supers, rows = w.rows();
    if (sc.state.length < nt * ST) sc.state = new float[nt * ST];
    float[] s = sc.w, st = sc.state;
    GGMLType type = w.type();
    boolean repacked = repacked(w);
    MemorySegment data = w.data();
    for (int p = p0; p < p1; p++) {
      int r0 = 2 * p, r1 = 2 * p + 1;
      int ra = inner(r0, rows), rb = inner(r1, rows);
      boolean hasA = interior(r0, rows), hasB = interior(r1, rows);
      Arrays.fill(st, 0, nt * ST, 0f);
      for (int cb = 0; cb < supers; cb += CHUNK) {
        int nb = Math.min(CHUNK, supers - cb);
        for (int b = 0; b < nb; b++) {
          long oa = w.rowOffset(ra) + (long) (cb + b) * type.blockBytes;
          long ob = w.rowOffset(rb) + (long) (cb + b) * type.blockBytes;
          switch (type) {
            case Q6_K -> decodeQ6(data, oa, ob, hasA, hasB, s, b * PSB);
            case Q5_K -> decodeQ45(data, oa, ob, hasA, hasB, true, s, b * PSB, sc.small);
            default -> decodeQ45(data, oa, ob, hasA, hasB, false, s, b * PSB, sc.small);
          }
        }
        for (int t = 0; t < nt; t++) {
          int ao = (t * x.chunks + 8 * cb) * 64, so = (t * supers + cb);
          switch (type) {
            case Q6_K -> q6(s, nb, x.a, ao, x.d, x.sums, so, st, t * ST);
            case Q5_K -> q5(s, nb, x.a, ao, x.d, x.sums, so, st, t * ST);
            default -> {
              if (!repacked) q4(s, nb, x.a, ao, x.d, x.sums, so, st, t * ST);
              else if (promptRows != null && promptRows[t]) q4Gemm(s, nb, x.a, ao, x.d, x.sums, so, st, t * ST);
              else q4Gemv(s, nb, x.a, ao, x.d, x.sums, so, st, t * ST);
            }
          }
        }
      }
      for (int t = 0; t < nt; t++) {
        int o = outOff + t * outStride, so = t * ST;
        for (int h = 0; h < 2; h++) {
          int r = 2 * p + h;
          if (r >= rows) break;
          int l = so + 8 * h, m = so + 16 + 8 * h;
          float acc = ((st[l] + st[l + 4]) + (st[l + 2] + st[l + 6])) + ((st[l + 1] + st[l + 5]) + (st[l + 3] + st[l + 7]));
          out[o + r] = switch (type) {
            case Q6_K -> acc;
            case Q5_K -> acc + st[m];
            default -> repacked ? st[l] - st[m] : acc + ((st[m] + st[m + 4]) + (st[m + 2] + st[m + 6]));
          };
        }
      }
    }
    // the first and last rows, which the vectors did not read
    if (p0 == 0) scalarRows(0, 1);
    if (2 * p1 >= rows) scalarRows(rows - 1, rows);
  }

  // Vectors never cross a method boundary below (a vector passed to a method C2 does not inline is boxed).

  /**
   * Q4_K/Q5_K super-block of rows a and b into scratch: W vectors (sub-block scale times quant),
   * D = (d_a x8, d_b x8), DMIN likewise, MIN lanes h*8+j = min_h[j]. Rows without results get 0 scales.
   */
  private static void decodeQ45(MemorySegment data, long oa, long ob, boolean hasA, boolean hasB, boolean five,
      float[] s, int o, float[] small) {
    float da = hasA ? Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, oa)) : 0f;
    float db = hasB ? Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, ob)) : 0f;
    float ma = hasA ? Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, oa + 2)) : 0f;
    float mb = hasB ? Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, ob + 2)) : 0f;
    FloatVector.broadcast(F, da).blend(db, UPPER).intoArray(s, o + D_AT);
    FloatVector.broadcast(F, ma).blend(mb, UPPER).intoArray(s, o + DMIN_AT);
    for (int j = 0; j < 8; j++) {
      int sa = Dequant.scaleMinK4(data, oa + 4, j), sb = Dequant.scaleMinK4(data, ob + 4, j);
      small[j] = sa & 0xFF;
      small[8 + j] = sb & 0xFF;
      s[o + MIN_AT + j] = sa >> 8;
      s[o + MIN_AT + 8 + j] = sb >> 8;
    }
    long qa = oa + (five ? 48 : 16), qb = ob + (five ? 48 : 16);
    IntVector qh = five
        ? IntVector.fromMemorySegment(I, data, oa + 16, LE, LANES_0_7).or(IntVector.fromMemorySegment(I, data, ob + 16 - 32, LE, LANES_8_15))
        : null;
    for (int g = 0; g < 4; g++) {
      IntVector q = IntVector.fromMemorySegment(I, data, qa + 32 * g, LE, LANES_0_7)
          .or(IntVector.fromMemorySegment(I, data, qb + 32 * g - 32, LE, LANES_8_15));
      for (int half = 0; half < 2; half++) {
        int c = 2 * g + half;
        FloatVector scale = FloatVector.broadcast(F, small[c]).blend(small[8 + c], UPPER);
        IntVector nib = half == 0 ? q.and(0x0F0F0F0F) : q.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F);
        if (five) nib = nib.or(qh.lanewise(VectorOperators.LSHR, c).and(0x01010101).lanewise(VectorOperators.LSHL, 4));
        int wo = o + c * 64;
        ((FloatVector) nib.and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo);
        ((FloatVector) nib.lanewise(VectorOperators.LSHR, 8).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo + 16);
        ((FloatVector) nib.lanewise(VectorOperators.LSHR, 16).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo + 32);
        ((FloatVector) nib.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo + 48);
      }
    }
  }

  /**
   * Q6_K super-block of rows a and b into scratch: W vectors (scale times the unsigned 6-bit quant),
   * D, and SC0/SC1 lanes h*8+m = sc_h[2m], sc_h[2m+1] (for the {@code -32} offset term).
   */
  private static void decodeQ6(MemorySegment data, long oa, long ob, boolean hasA, boolean hasB, float[] s, int o) {
    float da = hasA ? Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, oa + 208)) : 0f;
    float db = hasB ? Float.float16ToFloat(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, ob + 208)) : 0f;
    FloatVector.broadcast(F, da).blend(db, UPPER).intoArray(s, o + D_AT);
    IntVector sa = (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, data, oa + 192, LE).convertShape(VectorOperators.B2I, I, 0);
    IntVector sb = (IntVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, data, ob + 192, LE).convertShape(VectorOperators.B2I, I, 0);
    ((FloatVector) EVEN.selectFrom(sa, sb).convert(VectorOperators.I2F, 0)).intoArray(s, o + SC0_AT);
    ((FloatVector) ODD.selectFrom(sa, sb).convert(VectorOperators.I2F, 0)).intoArray(s, o + SC1_AT);
    for (int hf = 0; hf < 2; hf++) {
      long la = oa + 64L * hf, lb = ob + 64L * hf, ha = oa + 128 + 32L * hf, hb = ob + 128 + 32L * hf;
      IntVector l0 = IntVector.fromMemorySegment(I, data, la, LE, LANES_0_7).or(IntVector.fromMemorySegment(I, data, lb - 32, LE, LANES_8_15));
      IntVector l1 = IntVector.fromMemorySegment(I, data, la + 32, LE, LANES_0_7).or(IntVector.fromMemorySegment(I, data, lb, LE, LANES_8_15));
      IntVector qh = IntVector.fromMemorySegment(I, data, ha, LE, LANES_0_7).or(IntVector.fromMemorySegment(I, data, hb - 32, LE, LANES_8_15));
      for (int quarter = 0; quarter < 4; quarter++) {
        int c = 4 * hf + quarter;
        IntVector l = (quarter & 1) == 0 ? l0 : l1;
        IntVector lo = quarter < 2 ? l.and(0x0F0F0F0F) : l.lanewise(VectorOperators.LSHR, 4).and(0x0F0F0F0F);
        IntVector q = lo.or(qh.lanewise(VectorOperators.LSHR, 2 * quarter).and(0x03030303).lanewise(VectorOperators.LSHL, 4));
        FloatVector scale = (FloatVector) Q6_SCALE[c].selectFrom(sa, sb).convert(VectorOperators.I2F, 0);
        int wo = o + c * 64;
        ((FloatVector) q.and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo);
        ((FloatVector) q.lanewise(VectorOperators.LSHR, 8).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo + 16);
        ((FloatVector) q.lanewise(VectorOperators.LSHR, 16).and(0xFF).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo + 32);
        ((FloatVector) q.lanewise(VectorOperators.LSHR, 24).convert(VectorOperators.I2F, 0)).mul(scale).intoArray(s, wo + 48);
      }
    }
  }

  /** Q6_K, one token over nb decoded super-blocks: two exact half sums, ints, the offset term, one FMA per lane. */
  private static void q6(float[] s, int nb, float[] a, int ao, float[] ad, float[] sums, int so, float[] st, int sto) {
    FloatVector acc = FloatVector.fromArray(F, st, sto);
    for (int b = 0; b < nb; b++) {
      int o = b * PSB, ab = ao + b * 512;
      FloatVector h0 = FloatVector.zero(F), h1 = FloatVector.zero(F);
      for (int c = 0; c < 4; c++) {
        int wo = o + c * 64, xo = ab + c * 64;
        h0 = FloatVector.fromArray(F, s, wo).fma(FloatVector.fromArray(F, a, xo), h0);
        h0 = FloatVector.fromArray(F, s, wo + 16).fma(FloatVector.fromArray(F, a, xo + 16), h0);
        h0 = FloatVector.fromArray(F, s, wo + 32).fma(FloatVector.fromArray(F, a, xo + 32), h0);
        h0 = FloatVector.fromArray(F, s, wo + 48).fma(FloatVector.fromArray(F, a, xo + 48), h0);
      }
      for (int c = 4; c < 8; c++) {
        int wo = o + c * 64, xo = ab + c * 64;
        h1 = FloatVector.fromArray(F, s, wo).fma(FloatVector.fromArray(F, a, xo), h1);
        h1 = FloatVector.fromArray(F, s, wo + 16).fma(FloatVector.fromArray(F, a, xo + 16), h1);
        h1 = FloatVector.fromArray(F, s, wo + 32).fma(FloatVector.fromArray(F, a, xo + 32), h1);
        h1 = FloatVector.fromArray(F, s, wo + 48).fma(FloatVector.fromArray(F, a, xo + 48), h1);
      }
      int sb = (so + b) * Q8KActivations.SUMS;
      // 32 * (bsums[2m]*sc[2m] + bsums[2m+1]*sc[2m+1]): exact in float (below 2^24)
      FloatVector off = FloatVector.fromArray(F, sums, sb + 16).mul(FloatVector.fromArray(F, s, o + SC0_AT))
          .add(FloatVector.fromArray(F, sums, sb + 32).mul(FloatVector.fromArray(F, s, o + SC1_AT))).mul(32f);
      IntVector sumi = ((IntVector) h0.convert(VectorOperators.F2I, 0)).add((IntVector) h1.convert(VectorOperators.F2I, 0))
          .sub((IntVector) off.convert(VectorOperators.F2I, 0));
      FloatVector d = FloatVector.fromArray(F, s, o + D_AT).mul(ad[so + b]);
      acc = d.fma((FloatVector) sumi.convert(VectorOperators.I2F, 0), acc);
    }
    acc.intoArray(st, sto);
  }

  /** Q5_K, one token: exact lane sums, one FMA per lane; the mins' sum per row into {@code summs} (lanes of the row's half). */
  private static void q5(float[] s, int nb, float[] a, int ao, float[] ad, float[] sums, int so, float[] st, int sto) {
    FloatVector acc = FloatVector.fromArray(F, st, sto), summs = FloatVector.fromArray(F, st, sto + 16);
    for (int b = 0; b < nb; b++) {
      int o = b * PSB, ab = ao + b * 512;
      FloatVector sum = FloatVector.zero(F);
      for (int c = 0; c < 8; c++) {
        int wo = o + c * 64, xo = ab + c * 64;
        sum = FloatVector.fromArray(F, s, wo).fma(FloatVector.fromArray(F, a, xo), sum);
        sum = FloatVector.fromArray(F, s, wo + 16).fma(FloatVector.fromArray(F, a, xo + 16), sum);
        sum = FloatVector.fromArray(F, s, wo + 32).fma(FloatVector.fromArray(F, a, xo + 32), sum);
        sum = FloatVector.fromArray(F, s, wo + 48).fma(FloatVector.fromArray(F, a, xo + 48), sum);
      }
      float da = ad[so + b];
      // mins: sum_j min[j] * (bsums[2j] + bsums[2j+1]), exact, summed over each half's 8 lanes
      FloatVector mp = FloatVector.fromArray(F, s, o + MIN_AT).mul(FloatVector.fromArray(F, sums, (so + b) * Q8KActivations.SUMS));
      mp = mp.add(mp.rearrange(XOR1));
      mp = mp.add(mp.rearrange(XOR2));
      mp = mp.add(mp.rearrange(XOR4));
      summs = FloatVector.fromArray(F, s, o + DMIN_AT).mul(-da).fma(mp, summs);
      acc = FloatVector.fromArray(F, s, o + D_AT).mul(da).fma(sum, acc);
    }
    acc.intoArray(st, sto);
    summs.intoArray(st, sto + 16);
  }

  /** Q4_K in vec_dot order, one token: as Q5_K, the mins in four lanes per row (lanes 0, 2, 4, 6 of the row's half). */
  private static void q4(float[] s, int nb, float[] a, int ao, float[] ad, float[] sums, int so, float[] st, int sto) {
    FloatVector acc = FloatVector.fromArray(F, st, sto), accM = FloatVector.fromArray(F, st, sto + 16);
    for (int b = 0; b < nb; b++) {
      int o = b * PSB, ab = ao + b * 512;
      FloatVector sum = FloatVector.zero(F);
      for (int c = 0; c < 8; c++) {
        int wo = o + c * 64, xo = ab + c * 64;
        sum = FloatVector.fromArray(F, s, wo).fma(FloatVector.fromArray(F, a, xo), sum);
        sum = FloatVector.fromArray(F, s, wo + 16).fma(FloatVector.fromArray(F, a, xo + 16), sum);
        sum = FloatVector.fromArray(F, s, wo + 32).fma(FloatVector.fromArray(F, a, xo + 32), sum);
        sum = FloatVector.fromArray(F, s, wo + 48).fma(FloatVector.fromArray(F, a, xo + 48), sum);
      }
      float da = ad[so + b];
      FloatVector mp = FloatVector.fromArray(F, s, o + MIN_AT).mul(FloatVector.fromArray(F, sums, (so + b) * Q8KActivations.SUMS));
      mp = mp.add(mp.rearrange(XOR1)); // lane 2t: min[2t]*.. + min[2t+1]*.., llama.cpp's madd lane t
      accM = FloatVector.fromArray(F, s, o + DMIN_AT).mul(-da).fma(mp, accM);
      acc = FloatVector.fromArray(F, s, o + D_AT).mul(da).fma(sum, acc);
    }
    acc.intoArray(st, sto);
    accM.intoArray(st, sto + 16);
  }

  /** Repacked Q4_K, gemv chain: per super-block the row's whole integer sum (ints past 2^24), one FMA per row. */
  private static void q4Gemv(float[] s, int nb, float[] a, int ao, float[] ad, float[] sums, int so, float[] st, int sto) {
    FloatVector acc = FloatVector.fromArray(F, st, sto), accMin = FloatVector.fromArray(F, st, sto + 16);
    for (int b = 0; b < nb; b++) {
      int o = b * PSB, ab = ao + b * 512;
      FloatVector h0 = FloatVector.zero(F), h1 = FloatVector.zero(F);
      for (int c = 0; c < 4; c++) {
        int wo = o + c * 64, xo = ab + c * 64;
        h0 = FloatVector.fromArray(F, s, wo).fma(FloatVector.fromArray(F, a, xo), h0);
        h0 = FloatVector.fromArray(F, s, wo + 16).fma(FloatVector.fromArray(F, a, xo + 16), h0);
        h0 = FloatVector.fromArray(F, s, wo + 32).fma(FloatVector.fromArray(F, a, xo + 32), h0);
        h0 = FloatVector.fromArray(F, s, wo + 48).fma(FloatVector.fromArray(F, a, xo + 48), h0);
      }
      for (int c = 4; c < 8; c++) {
        int wo = o + c * 64, xo = ab + c * 64;
        h1 = FloatVector.fromArray(F, s, wo).fma(FloatVector.fromArray(F, a, xo), h1);
        h1 = FloatVector.fromArray(F, s, wo + 16).fma(FloatVector.fromArray(F, a, xo + 16), h1);
        h1 = FloatVector.fromArray(F, s, wo + 32).fma(FloatVector.fromArray(F, a, xo + 32), h1);
        h1 = FloatVector.fromArray(F, s, wo + 48).fma(FloatVector.fromArray(F, a, xo + 48), h1);
      }
      IntVector isum = ((IntVector) h0.convert(VectorOperators.F2I, 0)).add((IntVector) h1.convert(VectorOperators.F2I, 0));
      isum = isum.add(isum.rearrange(IXOR1));
      isum = isum.add(isum.rearrange(IXOR2));
      isum = isum.add(isum.rearrange(IXOR4));
      float da = ad[so + b];
      FloatVector mp = FloatVector.fromArray(F, s, o + MIN_AT).mul(FloatVector.fromArray(F, sums, (so + b) * Q8KActivations.SUMS));
      mp = mp.add(mp.rearrange(XOR1));
      mp = mp.add(mp.rearrange(XOR2));
      mp = mp.add(mp.rearrange(XOR4));
      acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, s, o + D_AT).mul(da), acc);
      accMin = mp.fma(FloatVector.fromArray(F, s, o + DMIN_AT).mul(da), accMin);
    }
    acc.intoArray(st, sto);
    accMin.intoArray(st, sto + 16);
  }

  /** Repacked Q4_K, gemm chain: one FMA per row and 64 values (sums exact in float). */
  private static void q4Gemm(float[] s, int nb, float[] a, int ao, float[] ad, float[] sums, int so, float[] st, int sto) {
    FloatVector acc = FloatVector.fromArray(F, st, sto), accMin = FloatVector.fromArray(F, st, sto + 16);
    for (int b = 0; b < nb; b++) {
      int o = b * PSB, ab = ao + b * 512;
      float da = ad[so + b];
      FloatVector ds = FloatVector.fromArray(F, s, o + D_AT).mul(da), dms = FloatVector.fromArray(F, s, o + DMIN_AT).mul(da);
      FloatVector mp = FloatVector.fromArray(F, s, o + MIN_AT).mul(FloatVector.fromArray(F, sums, (so + b) * Q8KActivations.SUMS));
      mp = mp.add(mp.rearrange(XOR1)); // lane 2g (of each half): the 64 values' min term
      for (int g = 0; g < 4; g++) {
        FloatVector sum = FloatVector.zero(F);
        for (int c = 2 * g; c < 2 * g + 2; c++) {
          int wo = o + c * 64, xo = ab + c * 64;
          sum = FloatVector.fromArray(F, s, wo).fma(FloatVector.fromArray(F, a, xo), sum);
          sum = FloatVector.fromArray(F, s, wo + 16).fma(FloatVector.fromArray(F, a, xo + 16), sum);
          sum = FloatVector.fromArray(F, s, wo + 32).fma(FloatVector.fromArray(F, a, xo + 32), sum);
          sum = FloatVector.fromArray(F, s, wo + 48).fma(FloatVector.fromArray(F, a, xo + 48), sum);
        }
        sum = sum.add(sum.rearrange(XOR1));
        sum = sum.add(sum.rearrange(XOR2));
        sum = sum.add(sum.rearrange(XOR4));
        FloatVector mg = mp.rearrange(MIN_PAIR[g]);
        acc = sum.fma(ds, acc);
        accMin = mg.fma(dms, accMin);
      }
    }
    acc.intoArray(st, sto);
    accMin.intoArray(st, sto + 16);
  }

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
