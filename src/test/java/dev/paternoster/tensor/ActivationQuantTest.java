package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ActivationQuantTest {
  /** llama.cpp's x86 quantize_row_q8_0, dequantized, one value at a time. */
  private static void q8_0Reference(float[] x, float[] dst) {
    for (int b = 0; b < x.length; b += 32) {
      float amax = 0f;
      for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b + j]));
      float d = amax / 127f;
      float id = amax != 0f ? 127f / amax : 0f;
      float dh = Float.float16ToFloat(Float.floatToFloat16(d));
      for (int j = 0; j < 32; j++) dst[b + j] = dh * (float) Math.rint(x[b + j] * id);
    }
  }

  @Test
  void q8_0RoundingMatchesLlamaCppBitForBit() {
    SplittableRandom rnd = new SplittableRandom(3);
    int n = 32 * 400;
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(-3, 3)));
    // blocks whose amax is 127, so that x*id lands on halves (ties to even), tiny negatives (-0),
    // signed zeros and an all-zero block
    for (int j = 0; j < 32; j++) x[32 + j] = j == 0 ? 127f : (j - 16) + 0.5f;
    for (int j = 0; j < 32; j++) x[64 + j] = j == 0 ? 127f : -0.25f * (j % 3);
    x[96] = -0f;
    x[97] = 0f;
    for (int j = 0; j < 32; j++) x[128 + j] = j % 2 == 0 ? 0f : -0f;
    float[] got = new float[n], want = new float[n];
    ActivationQuant.round(GGMLType.Q8_0, x, 0, n, got, 0);
    q8_0Reference(x, want);
    for (int i = 0; i < n; i++) {
      assertThat(Float.floatToRawIntBits(got[i])).as("value %d (x = %s)", i, x[i]).isEqualTo(Float.floatToRawIntBits(want[i]));
    }
  }
}
