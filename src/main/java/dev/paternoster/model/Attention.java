package dev.paternoster.model;

import static dev.paternoster.model.GgmlVec.F;
import static dev.paternoster.model.GgmlVec.I;
import static dev.paternoster.model.GgmlVec.L;

import dev.paternoster.tensor.LibM;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal attention of one (token, head) over the token's own sequence in the paged KV cache. The
 * result depends only on the token's sequence, position and head, never on the rest of the batch.
 *
 * <p>F16 cache: llama.cpp's CPU flash-attention kernel ({@code
 * ggml_compute_forward_flash_attn_ext_f16_one_chunk}), its default configuration, bit for bit: Q
 * rounded to F16; per position in order, {@code s = ggml_vec_dot_f16(k, q) * scale}; an online
 * softmax with the C library's {@code expf} (a new maximum rescales the F16 accumulator by
 * {@code expf(Mold - M)}, otherwise the weight is {@code expf(s - M)}); {@code VKQ = fp16(fma(v, w, VKQ))}
 * per element; {@code S = fma(S, ms, vs)}; finally {@code VKQ * (1/S)}.
 *
 * <p>F32 cache: llama.cpp without flash attention computes {@code KQ} with {@code ggml_vec_dot_f32}
 * and the softmax with {@code ggml_v_expf} summed per 16 values in double, which is done here too;
 * its {@code KQV} product changes order with the batch shape, so here V is accumulated in position
 * order instead (batch invariant, not llama.cpp's bits).
 *
 * <p>Fast numerics ({@link Numerics#FAST}), either cache: the same two passes as F32 in
 * Paternoster's own order, {@link #BLOCK} positions at a time: their K (then V) rows are widened to
 * F32 once for all the query heads that read them; each score is one vector accumulator summed
 * across lanes; the exponentials are taken 16 at a time; V is accumulated in registers per 16
 * dimensions. About 3x fewer operations per (head, position) than the exact paths.
 *
 * <p>The dot products keep ggml's 16-lane accumulators: one vector each with AVX-512, two halves
 * with 8-float vectors (AVX2), element by element with other widths; the results are the same.
 */
final class Attention {
  private Attention() {}

  private static final VectorSpecies<Short> H = ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(L * 16));
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  /** 4 accumulators of 16 lanes, as ggml_vec_dot_f16/f32 with AVX-512. */
  private static final int STEP = 64;
  private static final boolean WIDE = L == 16;

  /** Per-thread scratch, sized once for a head dimension and a context length. */
  static final class Scratch {
    final int heads, headDim;
    final float[] q, k, v, acc, lanes = new float[16 + STEP], scores, max, sum, ms, vs;
    /** {@link #BLOCK} K or V rows widened to F32 (the fast path). */
    final float[] rows;

    /**
     * For up to {@code heads} query heads of {@code headDim} at a time over {@code maxContext}
     * positions; the score rows and K/V blocks only the two-pass paths (F32 cache, fast numerics)
     * need are allocated for {@code twoPass}.
     */
    Scratch(int heads, int headDim, int maxContext, boolean twoPass) {
      this.heads = heads;
      this.headDim = headDim;
      q = new float[heads * headDim];
      k = new float[headDim];
      v = new float[headDim];
      acc = new float[heads * headDim];
      scores = new float[twoPass ? heads * (maxContext + 16) : 0];
      max = new float[heads];
      sum = new float[heads];
      ms = new float[heads];
      vs = new float[heads];
      rows = new float[twoPass ? BLOCK * headDim : 0];
    }

    boolean fits(int heads, int headDim, int positions, boolean twoPass) {
      return this.heads >= heads && this.headDim >= headDim && (!twoPass || scores.length >= this.heads * (positions + 16));
    }
  }

  static float scale(int headDim) {
    return 1.0f / (float) Math.sqrt((float) headDim); // 1.0f/sqrtf(n_embd_head)
  }

  // ---------------------------------------------------------------- F16 cache: flash attention

  /**
   * Heads {@code h0..h1-1} of token t, all reading KV head g: each K and V row is widened once for
   * all of them, and each head's arithmetic is exactly the single-head kernel's.
   */
  static void flashF16(PagedKvCache kv, int layer, float[] q, Batch batch, ModelConfig c, float[] out,
      int t, int g, int h0, int h1, Scratch sc) {
    int hd = c.headDim();
    int nh = h1 - h0;
    int pos = batch.positions()[t];
    int[] table = batch.blockTables()[batch.seq()[t]];
    int ps = kv.pageSize();
    MemorySegment keys = kv.keys[layer];
    MemorySegment values = kv.values[layer];
    long headByte = (long) g * hd * 2;
    float scale = scale(hd);
    int qOff = t * c.qDim() + h0 * hd;
    float[] qh = sc.q, kr = sc.k, vr = sc.v, acc = sc.acc, m = sc.max, sum = sc.sum, ms = sc.ms, vs = sc.vs;
    for (int i = 0; i < nh * hd; i++) {
      qh[i] = Float.float16ToFloat(Float.floatToFloat16(q[qOff + i]));
      acc[i] = 0f;
    }
    for (int j = 0; j < nh; j++) {
      m[j] = Float.NEGATIVE_INFINITY;
      sum[j] = 0f;
    }
    for (int p = 0; p <= pos; p++) {
      long at = kv.offset(table[p / ps], p % ps) + headByte;
      decodeF16(keys, at, kr, hd);
      for (int j = 0; j < nh; j++) {
        float s = dotF16(kr, 0, qh, j * hd, hd, sc.lanes) * scale;
        if (s > m[j]) {
          float mold = m[j];
          m[j] = s;
          ms[j] = LibM.expf(mold - s);
          vs[j] = 1f;
          if (p > 0) scaleHalf(acc, j * hd, ms[j], hd); // at p == 0 the accumulator is all +0 and stays so
        } else {
          ms[j] = 1f;
          vs[j] = LibM.expf(s - m[j]);
        }
      }
      decodeF16(values, at, vr, hd);
      for (int j = 0; j < nh; j++) {
        madHalf(acc, j * hd, vr, vs[j], hd);
        sum[j] = Math.fma(sum[j], ms[j], vs[j]);
      }
    }
    for (int j = 0; j < nh; j++) {
      float inv = sum[j] == 0f ? 0f : 1f / sum[j];
      int o = qOff + j * hd;
      for (int i = 0; i < hd; i++) out[o + i] = acc[j * hd + i] * inv;
    }
  }

  /** F16 elements at byte {@code at} widened to floats (exact). */
  static void decodeF16(MemorySegment s, long at, float[] dst, int n) {
    decodeF16(s, at, dst, 0, n);
  }

  /** As {@link #decodeF16(MemorySegment, long, float[], int)}, into {@code dst[dstOff ..]}. */
  static void decodeF16(MemorySegment s, long at, float[] dst, int dstOff, int n) {
    int i = 0;
    for (; i <= n - L; i += L) {
      IntVector hv = (IntVector) ShortVector.fromMemorySegment(H, s, at + 2L * i, ORDER).convertShape(VectorOperators.S2I, I, 0);
      IntVector mag = hv.and(0x7FFF);
      // exponent and mantissa shifted into place: a float 2^-112 times the value (subnormal halves
      // become float subnormals), so one exact multiply by 2^112 re-biases every finite value
      IntVector shifted = mag.mul(1 << 13);
      FloatVector f = shifted.reinterpretAsFloats().mul(0x1p112f);
      IntVector special = shifted.add(224 << 23); // inf and NaN: exponent 31 -> 255
      f = f.blend(special.reinterpretAsFloats(), mag.compare(VectorOperators.GE, 0x7C00).cast(F));
      f.reinterpretAsInts().or(hv.and(0x8000).mul(1 << 16)).reinterpretAsFloats().intoArray(dst, dstOff + i);
    }
    for (; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(s.get(PagedKvCache.HALF, at + 2L * i));
  }

  /**
   * {@code ggml_vec_dot_f16} of values already widened to float: the first {@code n & ~63} with four
   * 16-lane FMA accumulators, added pairwise and reduced as GCC's {@code _mm512_reduce_add_ps}; the
   * rest as F32 products summed in double; rounded to float.
   */
  static float dotF16(float[] x, int xOff, float[] y, int yOff, int n, float[] lanes) {
    int np = n & ~(STEP - 1);
    double sum = np > 0 ? dotF32Simd(x, xOff, y, yOff, np, lanes) : 0;
    for (int i = np; i < n; i++) sum += (double) (x[xOff + i] * y[yOff + i]);
    return (float) sum;
  }

  /** The SIMD part of ggml_vec_dot_f32/f16 over np (a multiple of 64) floats. */
  private static float dotF32Simd(float[] x, int xOff, float[] y, int yOff, int np, float[] lanes) {
    if (WIDE) {
      FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
      for (int i = 0; i < np; i += STEP) {
        a0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), a0);
        a1 = FloatVector.fromArray(F, x, xOff + i + 16).fma(FloatVector.fromArray(F, y, yOff + i + 16), a1);
        a2 = FloatVector.fromArray(F, x, xOff + i + 32).fma(FloatVector.fromArray(F, y, yOff + i + 32), a2);
        a3 = FloatVector.fromArray(F, x, xOff + i + 48).fma(FloatVector.fromArray(F, y, yOff + i + 48), a3);
      }
      a0.add(a2).add(a1.add(a3)).intoArray(lanes, 0);
      return reduce16(lanes);
    }
    if (L == 8) {
      // each 16-lane accumulator of ggml as two 8-lane halves
      FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
      for (int i = 0; i < np; i += STEP) {
        a0 = FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.fromArray(F, y, yOff + i), a0);
        b0 = FloatVector.fromArray(F, x, xOff + i + 8).fma(FloatVector.fromArray(F, y, yOff + i + 8), b0);
        a1 = FloatVector.fromArray(F, x, xOff + i + 16).fma(FloatVector.fromArray(F, y, yOff + i + 16), a1);
        b1 = FloatVector.fromArray(F, x, xOff + i + 24).fma(FloatVector.fromArray(F, y, yOff + i + 24), b1);
        a2 = FloatVector.fromArray(F, x, xOff + i + 32).fma(FloatVector.fromArray(F, y, yOff + i + 32), a2);
        b2 = FloatVector.fromArray(F, x, xOff + i + 40).fma(FloatVector.fromArray(F, y, yOff + i + 40), b2);
        a3 = FloatVector.fromArray(F, x, xOff + i + 48).fma(FloatVector.fromArray(F, y, yOff + i + 48), a3);
        b3 = FloatVector.fromArray(F, x, xOff + i + 56).fma(FloatVector.fromArray(F, y, yOff + i + 56), b3);
      }
      a0.add(a2).add(a1.add(a3)).intoArray(lanes, 0);
      b0.add(b2).add(b1.add(b3)).intoArray(lanes, 8);
      return reduce16(lanes);
    }
    // other vector widths: element by element, lanes[16..80) as the accumulators
    java.util.Arrays.fill(lanes, 16, 16 + STEP, 0f);
    for (int i = 0; i < np; i += STEP) {
      for (int j = 0; j < STEP; j++) lanes[16 + j] = Math.fma(x[xOff + i + j], y[yOff + i + j], lanes[16 + j]);
    }
    for (int l = 0; l < 16; l++) lanes[l] = (lanes[16 + l] + lanes[16 + l + 32]) + (lanes[16 + l + 16] + lanes[16 + l + 48]);
    return reduce16(lanes);
  }

  /** GCC's {@code _mm512_reduce_add_ps}: 256-bit halves, then 128-bit halves, then pairs. */
  static float reduce16(float[] a) {
    float t0 = a[8] + a[0], t1 = a[9] + a[1], t2 = a[10] + a[2], t3 = a[11] + a[3];
    float t4 = a[12] + a[4], t5 = a[13] + a[5], t6 = a[14] + a[6], t7 = a[15] + a[7];
    float u0 = t4 + t0, u1 = t5 + t1, u2 = t6 + t2, u3 = t7 + t3;
    return (u0 + u2) + (u1 + u3);
  }

  /** {@code ggml_vec_scale_f16}: {@code acc = fp16(acc * v)}. */
  static void scaleHalf(float[] acc, int off, float v, int n) {
    int i = 0;
    for (; i <= n - L; i += L) {
      // roundHalf, written out: a vector returned from a call C2 declines to inline gets boxed
      FloatVector y = FloatVector.fromArray(F, acc, off + i).mul(v);
      FloatVector ax = y.abs();
      FloatVector sh = ax.reinterpretAsInts().and(0x7F80_0000).max(113 << 23).min(143 << 23).add(13 << 23).reinterpretAsFloats();
      FloatVector r = ax.add(sh).sub(sh);
      r = r.blend(Float.POSITIVE_INFINITY, r.compare(VectorOperators.GT, 65504f));
      r.reinterpretAsInts().or(y.reinterpretAsInts().and(0x8000_0000)).reinterpretAsFloats().intoArray(acc, off + i);
    }
    for (; i < n; i++) acc[off + i] = half(acc[off + i] * v);
  }

  /** {@code ggml_vec_mad_f16}: {@code acc = fp16(fma(x, v, acc))}. */
  static void madHalf(float[] acc, int off, float[] x, float v, int n) {
    int i = 0;
    FloatVector vv = FloatVector.broadcast(F, v);
    for (; i <= n - L; i += L) {
      FloatVector y = FloatVector.fromArray(F, x, i).fma(vv, FloatVector.fromArray(F, acc, off + i));
      FloatVector ax = y.abs();
      FloatVector sh = ax.reinterpretAsInts().and(0x7F80_0000).max(113 << 23).min(143 << 23).add(13 << 23).reinterpretAsFloats();
      FloatVector r = ax.add(sh).sub(sh);
      r = r.blend(Float.POSITIVE_INFINITY, r.compare(VectorOperators.GT, 65504f));
      r.reinterpretAsInts().or(y.reinterpretAsInts().and(0x8000_0000)).reinterpretAsFloats().intoArray(acc, off + i);
    }
    for (; i < n; i++) acc[off + i] = half(Math.fma(x[i], v, acc[off + i]));
  }

  static float half(float x) {
    return Float.float16ToFloat(Float.floatToFloat16(x));
  }

  /**
   * (The same rounding is written out in {@link #scaleHalf} and {@link #madHalf}; this copy is what
   * the tests check against {@code Float.floatToFloat16}, and they check those two through it.)
   *
   * <p>Rounds every lane to the nearest F16 value (ties to even; beyond 65504 to infinity) and keeps
   * it as a float: adding and subtracting {@code 2^(e+13)} (e = the lane's exponent, at least -14)
   * leaves exactly 11 significant bits, or the F16 subnormal quantum 2^-24.
   */
  static FloatVector roundHalf(FloatVector y) {
    FloatVector ax = y.abs();
    IntVector e = ax.reinterpretAsInts().and(0x7F80_0000).max(113 << 23).min(143 << 23);
    FloatVector s = e.add(13 << 23).reinterpretAsFloats();
    FloatVector r = ax.add(s).sub(s);
    r = r.blend(Float.POSITIVE_INFINITY, r.compare(VectorOperators.GT, 65504f));
    return r.reinterpretAsInts().or(y.reinterpretAsInts().and(0x8000_0000)).reinterpretAsFloats();
  }

  // ---------------------------------------------------------------- F32 cache

  /** Heads {@code h0..h1-1} of token t, all reading KV head g (each K and V row is read once for all). */
  static void f32(PagedKvCache kv, int layer, float[] q, Batch batch, ModelConfig c, float[] out,
      int t, int g, int h0, int h1, Scratch sc) {
    int hd = c.headDim();
    int nh = h1 - h0;
    int pos = batch.positions()[t];
    int[] table = batch.blockTables()[batch.seq()[t]];
    int ps = kv.pageSize();
    MemorySegment keys = kv.keys[layer];
    MemorySegment values = kv.values[layer];
    long headByte = (long) g * hd * 4;
    float scale = scale(hd);
    int qOff = t * c.qDim() + h0 * hd;
    float[] scores = sc.scores, kr = sc.k, vr = sc.v, max = sc.max, w = sc.ms;
    int stride = scores.length / sc.heads;

    for (int j = 0; j < nh; j++) max[j] = Float.NEGATIVE_INFINITY;
    for (int p = 0; p <= pos; p++) {
      long at = kv.offset(table[p / ps], p % ps) + headByte;
      MemorySegment.copy(keys, PagedKvCache.FLOAT, at, kr, 0, hd);
      for (int j = 0; j < nh; j++) {
        float s = dotF32(kr, q, qOff + j * hd, hd, sc.lanes) * scale;
        scores[j * stride + p] = s;
        if (s > max[j]) max[j] = s;
      }
    }
    int end = (pos + 16) / 16 * 16;
    for (int j = 0; j < nh; j++) {
      for (int p = pos + 1; p < end; p++) scores[j * stride + p] = Float.NEGATIVE_INFINITY;
      double sum = softmaxExp(scores, j * stride, end, max[j], sc.lanes);
      w[j] = (float) (1.0 / sum);
    }
    java.util.Arrays.fill(out, qOff, qOff + nh * hd, 0f);
    for (int p = 0; p <= pos; p++) {
      long at = kv.offset(table[p / ps], p % ps) + headByte;
      MemorySegment.copy(values, PagedKvCache.FLOAT, at, vr, 0, hd);
      for (int j = 0; j < nh; j++) axpy(out, qOff + j * hd, scores[j * stride + p] * w[j], vr, hd);
    }
  }

  // ---------------------------------------------------------------- fast numerics, either cache

  /** Positions whose K or V rows are widened together (the fast path's block). */
  static final int BLOCK = 16;

  /**
   * Lane i swapped with lane i ^ L/2, then i ^ L/4, ... 1: adding each to its vector sums the lanes
   * in one fixed tree, the same in C2's code and in the interpreter. ({@code reduceLanes(ADD)} may
   * add in another order once compiled: a token's result would depend on when it ran.)
   */
  private static final VectorShuffle<Float>[] HALVES = halves();

  @SuppressWarnings("unchecked")
  private static VectorShuffle<Float>[] halves() {
    int levels = Integer.numberOfTrailingZeros(L);
    VectorShuffle<Float>[] s = new VectorShuffle[levels];
    for (int k = 0; k < levels; k++) {
      int h = L >> (k + 1);
      s[k] = VectorShuffle.fromOp(F, i -> i ^ h);
    }
    return s;
  }

  /**
   * Heads {@code h0..h1-1} of token t, all reading KV head g: every score, then the softmax, then
   * the weighted sum of V, each pass over blocks of {@link #BLOCK} positions (see the class comment).
   */
  static void fast(PagedKvCache kv, int layer, float[] q, Batch batch, ModelConfig c, float[] out,
      int t, int g, int h0, int h1, Scratch sc) {
    boolean half = kv.dtype() == KvCacheDtype.F16;
    int hd = c.headDim();
    int nh = h1 - h0;
    int n = batch.positions()[t] + 1;
    int[] table = batch.blockTables()[batch.seq()[t]];
    long headByte = (long) g * hd * (half ? 2 : 4);
    float scale = scale(hd);
    int qOff = t * c.qDim() + h0 * hd;
    float[] scores = sc.scores, rows = sc.rows, max = sc.max, sum = sc.sum;
    int stride = scores.length / sc.heads;

    for (int j = 0; j < nh; j++) max[j] = Float.NEGATIVE_INFINITY;
    for (int p0 = 0; p0 < n; p0 += BLOCK) {
      int m = Math.min(BLOCK, n - p0);
      widenRows(kv, kv.keys[layer], table, p0, m, headByte, hd, half, rows);
      for (int j = 0; j < nh; j++) {
        max[j] = Math.max(max[j], scoreRows(rows, m, hd, q, qOff + j * hd, scale, scores, j * stride + p0));
      }
    }
    for (int j = 0; j < nh; j++) sum[j] = exponentials(scores, j * stride, n, max[j]);
    java.util.Arrays.fill(out, qOff, qOff + nh * hd, 0f);
    for (int p0 = 0; p0 < n; p0 += BLOCK) {
      int m = Math.min(BLOCK, n - p0);
      widenRows(kv, kv.values[layer], table, p0, m, headByte, hd, half, rows);
      for (int j = 0; j < nh; j++) addWeightedRows(rows, m, hd, scores, j * stride + p0, out, qOff + j * hd);
    }
    for (int j = 0; j < nh; j++) {
      float inv = 1f / sum[j];
      int o = qOff + j * hd;
      for (int i = 0; i < hd; i++) out[o + i] *= inv;
    }
  }

  /** Rows of positions {@code p0 .. p0+m-1} (this KV head's part) as floats, one after another in {@code rows}. */
  private static void widenRows(PagedKvCache kv, MemorySegment cache, int[] table, int p0, int m, long headByte,
      int hd, boolean half, float[] rows) {
    int ps = kv.pageSize();
    for (int r = 0; r < m; r++) {
      int p = p0 + r;
      long at = kv.offset(table[p / ps], p % ps) + headByte;
      if (half) {
        decodeF16(cache, at, rows, r * hd, hd);
      } else {
        MemorySegment.copy(cache, PagedKvCache.FLOAT, at, rows, r * hd, hd);
      }
    }
  }

  /**
   * {@code s[so + r] = scale * dot(rows[r], q[qo ..])} for r < m: one vector accumulator per row
   * summed across its lanes, then the rest of the row one FMA at a time. Returns the largest score.
   */
  private static float scoreRows(float[] rows, int m, int hd, float[] q, int qo, float scale, float[] s, int so) {
    int vec = hd - hd % L;
    float max = Float.NEGATIVE_INFINITY;
    for (int r = 0; r < m; r++) {
      int ro = r * hd;
      FloatVector acc = FloatVector.zero(F);
      for (int i = 0; i < vec; i += L) acc = FloatVector.fromArray(F, rows, ro + i).fma(FloatVector.fromArray(F, q, qo + i), acc);
      // lanes summed by halving (not reduceLanes(ADD), whose order may differ once compiled)
      for (int h = 0; h < HALVES.length; h++) acc = acc.add(acc.rearrange(HALVES[h]));
      float dot = acc.lane(0);
      for (int i = vec; i < hd; i++) dot = Math.fma(rows[ro + i], q[qo + i], dot);
      float v = dot * scale;
      s[so + r] = v;
      max = Math.max(max, v);
    }
    return max;
  }

  /** Replaces scores {@code [off, off+n)} by {@code exp(s - max)} (ggml's vector expf) and returns their sum. */
  private static float exponentials(float[] s, int off, int n, float max) {
    FloatVector total = FloatVector.zero(F);
    int i = 0;
    for (; i <= n - L; i += L) {
      FloatVector e = GgmlVec.vexpf(FloatVector.fromArray(F, s, off + i).sub(max));
      e.intoArray(s, off + i);
      total = total.add(e);
    }
    for (int h = 0; h < HALVES.length; h++) total = total.add(total.rearrange(HALVES[h]));
    float sum = total.lane(0);
    for (; i < n; i++) {
      float e = GgmlVec.vexpfScalar(s[off + i] - max);
      s[off + i] = e;
      sum += e;
    }
    return sum;
  }

  /** {@code out[oo ..] += w[wo + r] * rows[r]} for r < m: each 16 dimensions stay in a register over the rows. */
  private static void addWeightedRows(float[] rows, int m, int hd, float[] w, int wo, float[] out, int oo) {
    int vec = hd - hd % L;
    for (int i = 0; i < vec; i += L) {
      FloatVector acc = FloatVector.fromArray(F, out, oo + i);
      for (int r = 0; r < m; r++) acc = FloatVector.fromArray(F, rows, r * hd + i).fma(FloatVector.broadcast(F, w[wo + r]), acc);
      acc.intoArray(out, oo + i);
    }
    for (int i = vec; i < hd; i++) {
      float a = out[oo + i];
      for (int r = 0; r < m; r++) a = Math.fma(rows[r * hd + i], w[wo + r], a);
      out[oo + i] = a;
    }
  }

  /**
   * The exponentials of {@code ggml_vec_soft_max_f32}: {@code v_expf(x - max)} over groups of 16
   * (the masked rest of the last group holds -inf and gives 0), each group's sum added in double.
   */
  private static double softmaxExp(float[] x, int off, int end, float max, float[] lanes) {
    double sum = 0;
    for (int p = 0; p < end; p += 16) {
      if (16 % L == 0) {
        for (int k = 0; k < 16; k += L) {
          FloatVector e = GgmlVec.vexpf(FloatVector.fromArray(F, x, off + p + k).sub(max));
          e.intoArray(x, off + p + k);
          e.intoArray(lanes, k);
        }
      } else {
        for (int l = 0; l < 16; l++) lanes[l] = x[off + p + l] = GgmlVec.vexpfScalar(x[off + p + l] - max);
      }
      sum += reduce16(lanes);
    }
    return sum;
  }

  /** {@code ggml_vec_dot_f32}: SIMD part over {@code n & ~63}, then an FMA per remaining value. */
  static float dotF32(float[] x, float[] y, int yOff, int n, float[] lanes) {
    int np = n & ~(STEP - 1);
    float sum = np > 0 ? dotF32Simd(x, 0, y, yOff, np, lanes) : 0f;
    for (int i = np; i < n; i++) sum = Math.fma(x[i], y[yOff + i], sum);
    return sum;
  }

  /** {@code y[yOff..] += alpha * x[..]} over n floats, one FMA per element. */
  private static void axpy(float[] y, int yOff, float alpha, float[] x, int n) {
    int i = 0;
    FloatVector va = FloatVector.broadcast(F, alpha);
    for (; i <= n - L; i += L) {
      FloatVector.fromArray(F, x, i).fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) y[yOff + i] = Math.fma(x[i], alpha, y[yOff + i]);
  }

}
