package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class QuantizeTest {

  private static float[] roundTrip(GGMLType t, float[] x) {
    byte[] bytes = Quantize.toBytes(t, x);
    assertThat(bytes).hasSize((int) t.bytesFor(x.length));
    float[] y = new float[x.length];
    Dequant.row(t, MemorySegment.ofArray(bytes), 0, y, 0, x.length);
    return y;
  }

  /**
   * Round trip of Gaussian data: the error relative to the block's range must fit the bit
   * width (and not be far better either, which would hint that the bits are not used at all).
   */
  @ParameterizedTest
  @CsvSource({
    "F32, 0", "F16, 0.001", "BF16, 0.008", "Q8_0, 0.006", "Q4_0, 0.1",
    "Q4_K, 0.12", "Q5_K, 0.06", "Q6_K, 0.03"
  })
  void roundTripErrorMatchesBitWidth(GGMLType t, double maxRelRms) {
    Random rnd = new Random(42);
    float[] x = new float[4 * 256];
    for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 0.02);
    float[] y = roundTrip(t, x);
    double err = 0, ref = 0;
    for (int i = 0; i < x.length; i++) {
      err += (x[i] - y[i]) * (double) (x[i] - y[i]);
      ref += x[i] * (double) x[i];
    }
    double relRms = Math.sqrt(err / ref);
    assertThat(relRms).isLessThanOrEqualTo(maxRelRms);
  }

  @Test
  void exactValuesSurvive() {
    float[] x = new float[256];
    for (int i = 0; i < x.length; i++) x[i] = (i % 16) - 8; // integers -8..7
    assertThat(roundTrip(GGMLType.F16, x)).containsExactly(x);
    assertThat(roundTrip(GGMLType.BF16, x)).containsExactly(x);
    assertThat(roundTrip(GGMLType.Q4_0, x)).containsExactly(x); // d = -8/-8 = 1
  }

  @Test
  void zerosStayZero() {
    float[] x = new float[256];
    for (GGMLType t : new GGMLType[] {GGMLType.Q8_0, GGMLType.Q4_0, GGMLType.Q4_K, GGMLType.Q5_K, GGMLType.Q6_K}) {
      for (float v : roundTrip(t, x)) assertThat(v == 0f).as(t.toString()).isTrue(); // Q4_0 gives -0.0 as ggml
    }
  }

  @Test
  void q8_0MatchesGgmlReference() {
    float[] x = new float[32];
    x[0] = 1.27f;
    x[2] = 0.635f;
    byte[] b = Quantize.toBytes(GGMLType.Q8_0, x);
    float d = Float.float16ToFloat((short) ((b[0] & 0xFF) | b[1] << 8));
    assertThat(d).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(1.27f / 127)));
    assertThat(b[2]).isEqualTo((byte) 127);
    assertThat(b[4]).isEqualTo((byte) 64);
  }

  @Test
  void roundingHelpersMatchC() {
    assertThat(Quantize.roundAway(2.5f)).isEqualTo(3);
    assertThat(Quantize.roundAway(-2.5f)).isEqualTo(-3);
    assertThat(Quantize.roundAway(-2.4f)).isEqualTo(-2);
    assertThat(Quantize.nearest(2.5f)).isEqualTo(2);
    assertThat(Quantize.nearest(-3.5f)).isEqualTo(-4);
  }

  @Test
  void bf16RoundsToNearestEven() {
    assertThat(Quantize.toBf16(Float.intBitsToFloat(0x3F808000))).isEqualTo((short) 0x3F80); // tie -> even
    assertThat(Quantize.toBf16(Float.intBitsToFloat(0x3F818000))).isEqualTo((short) 0x3F82); // tie -> even
    assertThat(Quantize.toBf16(Float.intBitsToFloat(0x3F808001))).isEqualTo((short) 0x3F81);
    assertThat(Dequant.bf16(Quantize.toBf16(Float.NaN))).isNaN();
  }

  @Test
  void unsupportedTypeIsNamed() {
    assertThatThrownBy(() -> Quantize.toBytes(GGMLType.Q3_K, new float[256]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Q3_K");
  }
}
