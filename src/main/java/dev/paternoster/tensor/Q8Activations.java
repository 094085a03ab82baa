package dev.paternoster.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A batch of token activations quantized to llama.cpp's Q8_0 (the {@code vec_dot_type} of Q8_0 and
 * Q4_0 weights), laid out for {@link QuantDot}'s kernels. Quantize once, then multiply by every
 * weight that reads the same input (q/k/v, gate/up).
 *
 * <p>Per 32-value block, as x86 {@code quantize_row_q8_0}: {@code amax} = largest magnitude,
 * {@code d = amax/127} stored as F16, {@code id = amax != 0 ? 127/amax : 0}, {@code q = rint(x*id)}
 * (round half to even).
 *
 * <p>Layout: the quants are kept as floats holding the integers. Token t's block b occupies
 * {@code a[(t * blocks + b) * 64 ..]}: four 16-float vectors {@code A_k} (k < 4) with
 * {@code A_k[h*8 + m] = q[4m + k]} for both halves h — lane m collects positions 4m..4m+3 like
 * llama.cpp's lane m, and the two halves meet the two rows of a row pair in the kernels. The F16
 * scale, as float, is {@code d[t * blocks + b]}. The object is reusable: {@link #quantize} grows its
 * arrays when needed and allocates nothing otherwise.
 */
public final class Q8Activations {
  static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
  /** Floats per quantized block in {@link #a}. */
  static final int BLOCK_FLOATS = 64;
  /** Adding and subtracting 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer, ties to even: Math.rint. */
  static final float ROUND = 12582912f;

  /** A block's scale as llama.cpp stores it: {@code amax/127} rounded to F16. */
  static float scale(float amax) {
    return Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
  }

  /** What a block's values are multiplied by before rounding: {@code 127/amax}, 0 for a zero block. */
  static float inverseScale(float amax) {
    return amax != 0f ? 127f / amax : 0f;
  }
  // PICKk[h*8 + m] = 4m + k: a two-vector selection from (values 0..15, values 16..31)
  // (on int lanes: moving float bits with an int-indexed selection is cheaper than a float-indexed one)
  private static final IntVector PICK0 = pick(0), PICK1 = pick(1), PICK2 = pick(2), PICK3 = pick(3);

  private static IntVector pick(int k) {
    int[] idx = new int[16];
    for (int i = 0; i < 16; i++) idx[i] = 4 * (i % 8) + k;
    return IntVector.fromArray(IntVector.SPECIES_512, idx, 0);
  }

  int nTokens, cols, blocks;
  float[] a = new float[0];
  float[] d = new float[0];
  /** The quants in column order, token t's at {@code qs[t * cols ..]} (for {@link Interleaved}'s kernels). */
  short[] qs = new short[0];
  /** Per (token, block): {@code -8 * sum(q)} modulo 2^16, a Q4_0 block's offset (for {@link InterleavedQ4}). */
  short[] bias = new short[0];

  public int tokens() {
    return nTokens;
  }

  public int cols() {
    return cols;
  }

  /** The integer quant of element i of token t. */
  public int quant(int t, int i) {
    int b = i / 32, e = i % 32;
    return (int) a[(t * blocks + b) * BLOCK_FLOATS + (e % 4) * 16 + e / 4];
  }

  /** The (F16-rounded) scale of block b of token t. */
  public float scale(int t, int b) {
    return d[t * blocks + b];
  }

  /**
   * Quantizes tokens {@code t < nTokens}, token t's values being {@code x[xOff + t*xStride ..][0..cols)};
   * cols must be a multiple of 32. Large batches are split over {@code pool} by token.
   */
  public void quantize(float[] x, int xOff, int xStride, int nTokens, int cols, Parallel pool) {
    if (cols % 32 != 0) throw new IllegalArgumentException("Q8_0 activations need a multiple of 32 values, got " + cols);
    java.util.Objects.checkFromIndexSize(xOff, (long) (nTokens - 1) * xStride + cols, x.length);
    this.nTokens = nTokens;
    this.cols = cols;
    this.blocks = cols / 32;
    int need = nTokens * blocks;
    if (d.length < need) {
      d = new float[need];
      a = new float[need * BLOCK_FLOATS];
      qs = new short[need * 32];
      bias = new short[need];
    }
    eachToken(pool, nTokens, cols, t -> token(x, xOff + t * xStride, t));
  }

  /** Runs {@code token} for t < nTokens, split over {@code pool} (null: none) by token when the batch is large. */
  static void eachToken(Parallel pool, int nTokens, int cols, java.util.function.IntConsumer token) {
    if (pool != null && (long) nTokens * cols >= 32768) {
      pool.forRange(nTokens, (s, e) -> {
        for (int t = s; t < e; t++) token.accept(t);
      });
    } else {
      for (int t = 0; t < nTokens; t++) token.accept(t);
    }
  }

  private void token(float[] x, int xo, int t) {
    if (QuantDot.VECTOR) tokenVector(x, xo, t);
    else tokenScalar(x, xo, t);
  }

  private void tokenScalar(float[] x, int xo, int t) {
    for (int b = 0; b < blocks; b++) {
      float amax = 0f;
      for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + 32 * b + j]));
      float id = inverseScale(amax);
      d[t * blocks + b] = scale(amax);
      int o = (t * blocks + b) * BLOCK_FLOATS;
      int sum = 0;
      for (int j = 0; j < 32; j++) {
        float q = (x[xo + 32 * b + j] * id + ROUND) - ROUND;
        a[o + (j % 4) * 16 + j / 4] = q;
        a[o + (j % 4) * 16 + 8 + j / 4] = q;
        qs[(t * blocks + b) * 32 + j] = (short) q;
        sum += (int) q;
      }
      bias[t * blocks + b] = (short) (-8 * sum);
    }
  }

  private void tokenVector(float[] x, int xo, int t) {
    float[] a = this.a, d = this.d;
    for (int b = 0; b < blocks; b++) {
      FloatVector lo = FloatVector.fromArray(F, x, xo + 32 * b);
      FloatVector hi = FloatVector.fromArray(F, x, xo + 32 * b + 16);
      // max is exact and order-free
      float amax = lo.abs().max(hi.abs()).reduceLanes(VectorOperators.MAX);
      float id = inverseScale(amax);
      d[t * blocks + b] = scale(amax);
      IntVector ql = lo.mul(id).add(ROUND).sub(ROUND).reinterpretAsInts();
      IntVector qh = hi.mul(id).add(ROUND).sub(ROUND).reinterpretAsInts();
      int o = (t * blocks + b) * BLOCK_FLOATS;
      PICK0.selectFrom(ql, qh).reinterpretAsFloats().intoArray(a, o);
      PICK1.selectFrom(ql, qh).reinterpretAsFloats().intoArray(a, o + 16);
      PICK2.selectFrom(ql, qh).reinterpretAsFloats().intoArray(a, o + 32);
      PICK3.selectFrom(ql, qh).reinterpretAsFloats().intoArray(a, o + 48);
      FloatVector fl = ql.reinterpretAsFloats(), fh = qh.reinterpretAsFloats();
      ((ShortVector) fl.convertShape(VectorOperators.F2S, ShortVector.SPECIES_256, 0)).intoArray(qs, (t * blocks + b) * 32);
      ((ShortVector) fh.convertShape(VectorOperators.F2S, ShortVector.SPECIES_256, 0)).intoArray(qs, (t * blocks + b) * 32 + 16);
      // exact: at most 32 * 127 in magnitude
      bias[t * blocks + b] = (short) (-8 * (int) fl.add(fh).reduceLanes(VectorOperators.ADD));
    }
  }
}
