package dev.paternoster.model;

import dev.paternoster.tensor.LibM;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ggml's vectorized element-wise functions ({@code ggml-cpu/vec.h}) in the Vector API, bit for bit
 * as llama.cpp's AVX-512 build computes them, whatever this machine's vector width.
 *
 * <p>{@code ggml_v_expf} is a polynomial with a fixed order of FMAs; every step is element-wise, so
 * it gives the same bits with 8 or 16 lanes. What depends on the AVX-512 build is which elements
 * take the vector path: ggml runs whole groups of 16 and leaves the last {@code n % 16} of a row
 * to the C library's {@code expf}, and so do these loops.
 */
final class GgmlVec {
  private GgmlVec() {}

  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(F.vectorShape());
  static final int L = F.length();
  /** ggml's AVX-512 group: 16 floats. */
  static final int GROUP = 16;
  /** The vector loops need whole vectors per group of 16; otherwise the scalar form is used. */
  static final boolean VECTOR = GROUP % L == 0;

  /**
   * {@code ggml_v_expf} (AVX-512 variant) of every lane: {@code x = n ln2 + b}, a degree-5
   * polynomial j of b, and {@code scalef(j, n) = j * 2^n} rounded once; lanes with {@code |n| > 192}
   * give 0 (n <= 0) or +inf.
   */
  static FloatVector vexpf(FloatVector x) {
    FloatVector r = FloatVector.broadcast(F, 0x1.8p23f);
    FloatVector z = x.fma(0x1.715476p+0f, 0x1.8p23f);
    FloatVector n = z.sub(r);
    FloatVector nn = n.neg();
    FloatVector b = nn.fma(FloatVector.broadcast(F, 0x1.7f7d1cp-20f), nn.fma(FloatVector.broadcast(F, 0x1.62e4p-1f), x));
    FloatVector u = b.mul(b);
    FloatVector p1 = b.fma(0x1.0e4020p-7f, 0x1.573e2ep-5f);
    FloatVector p2 = b.fma(0x1.555e66p-3f, 0x1.fffdb6p-2f);
    FloatVector p3 = b.fma(0x1.ffffecp-1f, 1.0f);
    FloatVector j = p1.fma(u, p2).fma(u, p3);
    // scalef(j, n) for |n| <= 192 as two exact power-of-two factors: j * 2^a is exact and normal
    // (a in [-100, 127], 0.7 < j < 1.5), so only the multiply by 2^(n - a) rounds.
    IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
    IntVector a = ni.max(-100).min(127);
    IntVector c = ni.sub(a).max(-126).min(127);
    FloatVector pa = a.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector pc = c.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector res = j.mul(pa).mul(pc);
    VectorMask<Float> big = n.abs().compare(VectorOperators.GT, 192f);
    if (!big.anyTrue()) return res;
    FloatVector alt = FloatVector.broadcast(F, Float.POSITIVE_INFINITY)
        .blend(0f, n.compare(VectorOperators.LE, 0f));
    return res.blend(alt, big);
  }

  /** {@code ggml_vec_swiglu_f32} on one row: {@code x[i] = silu(x[i]) * g[i]}. */
  static void swigluRow(float[] x, float[] g, int off, int n) {
    int i = 0;
    if (VECTOR) {
      FloatVector one = FloatVector.broadcast(F, 1f);
      for (; i + GROUP <= n; i += L) {
        FloatVector v = FloatVector.fromArray(F, x, off + i);
        FloatVector e = vexpf(v.neg());
        v.div(one.add(e)).mul(FloatVector.fromArray(F, g, off + i)).intoArray(x, off + i);
        if (L < GROUP) {
          // the rest of the group of 16
          for (int k = L; k < GROUP; k += L) {
            FloatVector w = FloatVector.fromArray(F, x, off + i + k);
            FloatVector ew = vexpf(w.neg());
            w.div(one.add(ew)).mul(FloatVector.fromArray(F, g, off + i + k)).intoArray(x, off + i + k);
          }
          i += GROUP - L;
        }
      }
    } else {
      for (; i + GROUP <= n; i++) x[off + i] = vsiluScalar(x[off + i]) * g[off + i];
    }
    for (; i < n; i++) x[off + i] = silu(x[off + i]) * g[off + i];
  }

  /** {@code ggml_silu_f32} of the scalar tails: {@code x / (1 + expf(-x))} with the C library's expf. */
  static float silu(float x) {
    return x / (1f + LibM.expf(-x));
  }

  /** One lane of {@link #vexpf}, for machines whose vectors do not divide 16 floats. */
  static float vexpfScalar(float x) {
    return vexpf(FloatVector.broadcast(F, x)).lane(0);
  }

  private static float vsiluScalar(float x) {
    return x / (1f + vexpfScalar(0f - x));
  }
}
