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
 * <p>The vector paths assume 16-float vectors (AVX-512, ggml's lane count); with other widths the
 * same arithmetic runs element by element.
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
    final float[] q, k, v, acc, lanes = new float[16], scores;

    Scratch(int headDim, int maxContext) {
      q = new float[headDim];
      k = new float[headDim];
      v = new float[headDim];
      acc = new float[headDim];
      scores = new float[maxContext + 16];
    }

    boolean fits(int headDim, int positions) {
      return q.length >= headDim && scores.length >= positions + 16;
    }
  }

  static float scale(int headDim) {
    return 1.0f / (float) Math.sqrt((float) headDim); // 1.0f/sqrtf(n_embd_head)
  }

  // ---------------------------------------------------------------- F16 cache: flash attention

  static void flashF16(PagedKvCache kv, int layer, float[] q, Batch batch, ModelConfig c, float[] out,
      int t, int h, Scratch sc) {
    int hd = c.headDim();
    int g = h / (c.heads() / c.kvHeads());
    int pos = batch.positions()[t];
    int[] table = batch.blockTables()[batch.seq()[t]];
    int ps = kv.pageSize();
    MemorySegment keys = kv.keys[layer];
    MemorySegment values = kv.values[layer];
    long headByte = (long) g * hd * 2;
    float scale = scale(hd);
    int qOff = t * c.qDim() + h * hd;
    float[] qh = sc.q, kr = sc.k, vr = sc.v, acc = sc.acc;
    for (int i = 0; i < hd; i++) {
      qh[i] = Float.float16ToFloat(Float.floatToFloat16(q[qOff + i]));
      acc[i] = 0f;
    }
    float m = Float.NEGATIVE_INFINITY, sum = 0f;
    for (int p = 0; p <= pos; p++) {
      long at = kv.offset(table[p / ps], p % ps) + headByte;
      decodeF16(keys, at, kr, hd);
      float s = dotF16(kr, qh, hd, sc.lanes) * scale;
      float ms = 1f, vs = 1f;
      if (s > m) {
        float mold = m;
        m = s;
        ms = LibM.expf(mold - m);
        if (p > 0) scaleHalf(acc, ms, hd); // at p == 0 the accumulator is all +0 and stays so
      } else {
        vs = LibM.expf(s - m);
      }
      decodeF16(values, at, vr, hd);
      madHalf(acc, vr, vs, hd);
      sum = Math.fma(sum, ms, vs);
    }
    float inv = sum == 0f ? 0f : 1f / sum;
    int oOff = t * c.qDim() + h * hd;
    for (int i = 0; i < hd; i++) out[oOff + i] = acc[i] * inv;
  }

  /** F16 elements at byte {@code at} widened to floats (exact). */
  static void decodeF16(MemorySegment s, long at, float[] dst, int n) {
    int i = 0;
    for (; i <= n - L; i += L) {
      IntVector hv = (IntVector) ShortVector.fromMemorySegment(H, s, at + 2L * i, ORDER).convertShape(VectorOperators.S2I, I, 0);
      IntVector mag = hv.and(0x7FFF);
      // exponent and mantissa shifted into place: a float 2^-112 times the value (subnormal halves
      // become float subnormals), so one exact multiply by 2^112 re-biases every finite value
      FloatVector f = mag.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
      IntVector special = mag.lanewise(VectorOperators.LSHL, 13).add(224 << 23); // inf and NaN: exponent 31 -> 255
      f = f.blend(special.reinterpretAsFloats(), mag.compare(VectorOperators.GE, 0x7C00).cast(F));
      f.reinterpretAsInts().or(hv.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(dst, i);
    }
    for (; i < n; i++) dst[i] = Float.float16ToFloat(s.get(PagedKvCache.HALF, at + 2L * i));
  }

  /**
   * {@code ggml_vec_dot_f16} of values already widened to float: the first {@code n & ~63} with four
   * 16-lane FMA accumulators, added pairwise and reduced as GCC's {@code _mm512_reduce_add_ps}; the
   * rest as F32 products summed in double; rounded to float.
   */
  static float dotF16(float[] x, float[] y, int n, float[] lanes) {
    int np = n & ~(STEP - 1);
    double sum = np > 0 ? dotF32Simd(x, 0, y, 0, np, lanes) : 0;
    for (int i = np; i < n; i++) sum += (double) (x[i] * y[i]);
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
    float[] acc = new float[STEP]; // not on production machines (16-lane vectors there)
    for (int i = 0; i < np; i += STEP) {
      for (int j = 0; j < STEP; j++) acc[j] = Math.fma(x[xOff + i + j], y[yOff + i + j], acc[j]);
    }
    for (int l = 0; l < 16; l++) lanes[l] = (acc[l] + acc[l + 32]) + (acc[l + 16] + acc[l + 48]);
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
  static void scaleHalf(float[] acc, float v, int n) {
    int i = 0;
    for (; i <= n - L; i += L) roundHalf(FloatVector.fromArray(F, acc, i).mul(v)).intoArray(acc, i);
    for (; i < n; i++) acc[i] = half(acc[i] * v);
  }

  /** {@code ggml_vec_mad_f16}: {@code acc = fp16(fma(x, v, acc))}. */
  static void madHalf(float[] acc, float[] x, float v, int n) {
    int i = 0;
    FloatVector vv = FloatVector.broadcast(F, v);
    for (; i <= n - L; i += L) {
      roundHalf(FloatVector.fromArray(F, x, i).fma(vv, FloatVector.fromArray(F, acc, i))).intoArray(acc, i);
    }
    for (; i < n; i++) acc[i] = half(Math.fma(x[i], v, acc[i]));
  }

  static float half(float x) {
    return Float.float16ToFloat(Float.floatToFloat16(x));
  }

  /**
   * Rounds every lane to the nearest F16 value (ties to even; beyond 65504 to infinity) and keeps
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

  static void f32(PagedKvCache kv, int layer, float[] q, Batch batch, ModelConfig c, float[] out,
      int t, int h, Scratch sc) {
    int hd = c.headDim();
    int g = h / (c.heads() / c.kvHeads());
    int pos = batch.positions()[t];
    int[] table = batch.blockTables()[batch.seq()[t]];
    int ps = kv.pageSize();
    MemorySegment keys = kv.keys[layer];
    MemorySegment values = kv.values[layer];
    long headByte = (long) g * hd * 4;
    float scale = scale(hd);
    int qOff = t * c.qDim() + h * hd;
    float[] scores = sc.scores, kr = sc.k;

    float max = Float.NEGATIVE_INFINITY;
    for (int p = 0; p <= pos; p++) {
      long at = kv.offset(table[p / ps], p % ps) + headByte;
      MemorySegment.copy(keys, PagedKvCache.FLOAT, at, kr, 0, hd);
      float s = dotF32(kr, q, qOff, hd, sc.lanes) * scale;
      scores[p] = s;
      if (s > max) max = s;
    }
    // ggml_vec_soft_max_f32: v_expf over groups of 16 (the masked rest of the last group gives 0),
    // each group's sum added in double
    int end = (pos + 16) / 16 * 16;
    for (int p = pos + 1; p < end; p++) scores[p] = Float.NEGATIVE_INFINITY;
    double sum = 0;
    float[] lanes = sc.lanes;
    for (int p = 0; p < end; p += 16) {
      if (WIDE) {
        FloatVector e = GgmlVec.vexpf(FloatVector.fromArray(F, scores, p).sub(max));
        e.intoArray(scores, p);
        e.intoArray(lanes, 0);
      } else {
        for (int l = 0; l < 16; l++) lanes[l] = scores[p + l] = GgmlVec.vexpfScalar(scores[p + l] - max);
      }
      sum += reduce16(lanes);
    }
    float inv = (float) (1.0 / sum);
    int oOff = t * c.qDim() + h * hd;
    java.util.Arrays.fill(out, oOff, oOff + hd, 0f);
    for (int p = 0; p <= pos; p++) {
      long at = kv.offset(table[p / ps], p % ps) + headByte;
      axpy(out, oOff, scores[p] * inv, values, at, hd);
    }
  }

  /** {@code ggml_vec_dot_f32}: SIMD part over {@code n & ~63}, then an FMA per remaining value. */
  static float dotF32(float[] x, float[] y, int yOff, int n, float[] lanes) {
    int np = n & ~(STEP - 1);
    float sum = np > 0 ? dotF32Simd(x, 0, y, yOff, np, lanes) : 0f;
    for (int i = np; i < n; i++) sum = Math.fma(x[i], y[yOff + i], sum);
    return sum;
  }

  /** {@code y[yOff..] += alpha * x[..]} over n floats, one FMA per element. */
  private static void axpy(float[] y, int yOff, float alpha, MemorySegment x, long xOff, int n) {
    int i = 0;
    FloatVector va = FloatVector.broadcast(F, alpha);
    for (; i <= n - L; i += L) {
      FloatVector vx = FloatVector.fromMemorySegment(F, x, xOff + 4L * i, ORDER);
      vx.fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
    }
    for (; i < n; i++) y[yOff + i] = Math.fma(x.get(PagedKvCache.FLOAT, xOff + 4L * i), alpha, y[yOff + i]);
  }
}
