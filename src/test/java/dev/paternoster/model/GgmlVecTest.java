package dev.paternoster.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** The Vector API ggml_v_expf, v_silu and swiglu give the bits of the scalar transcription of ggml's C. */
class GgmlVecTest {

  static List<Float> inputs() {
    List<Float> xs = new ArrayList<>();
    float[] edges = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MIN_VALUE,
        -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f,
        88.72283f, 88.72284f, -87.33654f, -87.33655f, -103.97208f, -103.97207f, -104f, 133.0f, 133.08f,
        133.1f, -133.08f, -133.1f, -150f, 150f, 1e7f, -1e7f, 6.0e6f, 0x1p22f, -0x1p22f, 0x1p23f, 0.5f, -0.5f,
        0.34657359f, -0.34657359f, 1e-30f, -1e-30f, 1e-40f, -1e-40f, 192f, -192f, 300f, -300f};
    for (float e : edges) {
      xs.add(e);
      xs.add(Math.nextUp(e));
      xs.add(Math.nextDown(e));
    }
    SplittableRandom r = new SplittableRandom(42);
    for (int i = 0; i < 200_000; i++) xs.add((float) (r.nextDouble() * 40 - 20));
    for (int i = 0; i < 200_000; i++) xs.add((float) (r.nextDouble() * 300 - 150));
    for (int i = 0; i < 100_000; i++) xs.add(Float.intBitsToFloat(r.nextInt())); // any bit pattern
    for (int i = 0; i < 50_000; i++) xs.add((float) (r.nextDouble() * 40 - 20) * 1e-30f); // near 0, denormals
    // every ulp across the borders of the subnormal and overflow ranges
    for (float x = -104f; x < -87f; x = Math.nextUp(x), x = Math.nextUp(Math.nextUp(x))) {
      xs.add(x);
      if (xs.size() > 2_000_000) break;
    }
    return xs;
  }

  @Test
  void vexpfAndVsiluMatchTheScalarFormulaBitForBit() {
    List<Float> xs = inputs();
    int l = GgmlVec.L;
    float[] in = new float[l];
    float[] out = new float[l];
    int mismatches = 0;
    String first = null;
    for (int i = 0; i + l <= xs.size(); i += l) {
      for (int k = 0; k < l; k++) in[k] = xs.get(i + k);
      GgmlVec.vexpf(FloatVector.fromArray(GgmlVec.F, in, 0)).intoArray(out, 0);
      for (int k = 0; k < l; k++) {
        float want = GgmlScalar.vexpf(in[k]);
        if (Float.floatToIntBits(out[k]) != Float.floatToIntBits(want)) {
          mismatches++;
          if (first == null) first = "vexpf(" + in[k] + ") = " + out[k] + ", want " + want;
        }
      }
    }
    assertThat(mismatches).as("first: %s", first).isZero();
    assertThat(Float.floatToIntBits(GgmlVec.vexpfScalar(-100f))).isEqualTo(Float.floatToIntBits(GgmlScalar.vexpf(-100f)));
  }

  @Test
  void swigluMatchesGgmlRowByRowIncludingScalarTails() {
    SplittableRandom r = new SplittableRandom(3);
    int[] lengths = {1, 5, 15, 16, 17, 31, 32, 33, 47, 64, 100, 172, 4864, 4865};
    for (int n : lengths) {
      int off = r.nextInt(5);
      float[] x = new float[off + n], g = new float[off + n];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) (r.nextGaussian() * (i % 7 == 0 ? 30 : 3));
        g[i] = (float) r.nextGaussian();
      }
      if (n > 10) {
        x[off] = Float.NaN;
        x[off + 1] = Float.POSITIVE_INFINITY;
        x[off + 2] = Float.NEGATIVE_INFINITY;
        x[off + 3] = -0f;
        x[off + 4] = 1e-41f;
        x[off + 5] = -120f;
        x[off + 6] = 95f;
      }
      float[] want = x.clone();
      GgmlScalar.swiglu(want, g, off, n);
      GgmlVec.swigluRow(x, g, off, n);
      for (int i = 0; i < x.length; i++) {
        assertThat(Float.floatToIntBits(x[i])).as("n=%d i=%d: %s vs %s", n, i, x[i], want[i])
            .isEqualTo(Float.floatToIntBits(want[i]));
      }
    }
  }

  @Test
  void opsSwigluTreatsEachRowAsItsOwnCall() {
    // ggml's scalar tail is per row: the rows must not run together into one long vector loop
    int n = 20, rows = 3;
    SplittableRandom r = new SplittableRandom(9);
    float[] x = new float[n * rows], g = new float[n * rows];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian() * 4;
      g[i] = (float) r.nextGaussian();
    }
    float[] want = x.clone();
    for (int t = 0; t < rows; t++) GgmlScalar.swiglu(want, g, t * n, n);
    Ops.swiglu(x, g, rows, n);
    for (int i = 0; i < x.length; i++) assertThat(Float.floatToIntBits(x[i])).isEqualTo(Float.floatToIntBits(want[i]));
  }
}
