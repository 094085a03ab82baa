package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Known-answer tests: blocks assembled byte by byte from ggml's format definitions. */
class DequantTest {
  private static final short ONE = 0x3C00, HALF = 0x3800, QUARTER = 0x3400, TWO = 0x4000;

  private static float[] decode(GGMLType t, byte[] block, int n) {
    float[] y = new float[n];
    Dequant.row(t, MemorySegment.ofArray(block), 0, y, 0, n);
    return y;
  }

  private static void putShort(byte[] b, int off, short v) {
    b[off] = (byte) v;
    b[off + 1] = (byte) (v >> 8);
  }

  @Test
  void f32F16Bf16() {
    byte[] f32 = {0, 0, (byte) 0xC0, 0x3F}; // 1.5f little-endian
    assertThat(decode(GGMLType.F32, f32, 1)).containsExactly(1.5f);
    byte[] f16 = new byte[6];
    putShort(f16, 0, ONE);
    putShort(f16, 2, (short) 0xC000); // -2
    putShort(f16, 4, (short) 0x0001); // smallest subnormal 2^-24
    assertThat(decode(GGMLType.F16, f16, 3)).containsExactly(1f, -2f, 0x1p-24f);
    byte[] bf16 = new byte[4];
    putShort(bf16, 0, (short) 0x3FC0); // 1.5
    putShort(bf16, 2, (short) 0xC2F7); // -123.5
    assertThat(decode(GGMLType.BF16, bf16, 2)).containsExactly(1.5f, -123.5f);
  }

  @Test
  void q8_0ScalesSignedBytes() {
    byte[] b = new byte[34];
    putShort(b, 0, HALF);
    b[2] = 127;
    b[3] = -128;
    b[33] = -3;
    float[] y = decode(GGMLType.Q8_0, b, 32);
    assertThat(y[0]).isEqualTo(63.5f);
    assertThat(y[1]).isEqualTo(-64f);
    assertThat(y[2]).isEqualTo(0f);
    assertThat(y[31]).isEqualTo(-1.5f);
  }

  @Test
  void q4_0LowNibblesFirstThenHigh() {
    byte[] b = new byte[18];
    putShort(b, 0, TWO);
    b[2] = (byte) 0xF0; // value 0 = lo 0 -> -8, value 16 = hi 15 -> 7
    b[17] = 0x39; // value 15 = 9 -> 1, value 31 = 3 -> -5
    float[] y = decode(GGMLType.Q4_0, b, 32);
    assertThat(y[0]).isEqualTo(-16f);
    assertThat(y[16]).isEqualTo(14f);
    assertThat(y[15]).isEqualTo(2f);
    assertThat(y[31]).isEqualTo(-10f);
  }

  /** Q4_K/Q5_K scales: sub-block 1 = (2, 3) plainly; sub-block 5 = (52, 23) split over three bytes. */
  private static void kScales(byte[] b) {
    putShort(b, 0, ONE); // d
    putShort(b, 2, HALF); // dmin
    b[4 + 1] = (byte) 0b11_000010; // scale1 = 2; top bits of scale5 = 3
    b[4 + 5] = (byte) 0b01_000011; // min1 = 3; top bits of min5 = 1
    b[4 + 9] = 0x74; // low nibbles: scale5 = 4, min5 = 7
  }

  @Test
  void q4_KSixBitScalesAndMins() {
    byte[] b = new byte[144];
    kScales(b);
    b[16 + 7] = 0x50; // value 39: sub-block 1 (group 0, high nibble) q = 5
    b[16 + 64 + 3] = (byte) 0xA0; // value 163: sub-block 5 (group 2, high nibble) q = 10
    float[] y = decode(GGMLType.Q4_K, b, 256);
    assertThat(y[39]).isEqualTo(2 * 5 - 0.5f * 3);
    assertThat(y[163]).isEqualTo(52 * 10 - 0.5f * 23);
    assertThat(y[7]).isEqualTo(0f); // sub-block 0 has scale 0 and min 0
    assertThat(y[160]).isEqualTo(-0.5f * 23); // q = 0
  }

  @Test
  void q5_KFifthBitFromQh() {
    byte[] b = new byte[176];
    kScales(b);
    b[16 + 7] = 0b10; // qh[7] bit 1: sub-block 1 gets +16
    b[48 + 7] = 0x50; // value 39: q = 5 + 16
    b[16 + 3] = 0b10_0000; // qh[3] bit 5: sub-block 5 gets +16
    b[48 + 64 + 3] = (byte) 0xA0; // value 163: q = 10 + 16
    float[] y = decode(GGMLType.Q5_K, b, 256);
    assertThat(y[39]).isEqualTo(2 * 21 - 0.5f * 3);
    assertThat(y[163]).isEqualTo(52 * 26 - 0.5f * 23);
    assertThat(y[35]).isEqualTo(-0.5f * 3); // qh[3] bit 1 is clear
  }

  @Test
  void q6_KLowNibbleHighBitsAndInt8Scale() {
    byte[] b = new byte[210];
    putShort(b, 208, QUARTER);
    // value 244 = half 1, quarter 3, l = 20: high nibble of ql[64+32+20], bits 6..7 of qh[32+20], scale 15
    b[64 + 32 + 20] = (byte) 0x90;
    b[128 + 32 + 20] = (byte) 0b10_000000;
    b[192 + 15] = -3;
    // value 5 = half 0, quarter 0, l = 5: low nibble of ql[5], bits 0..1 of qh[5], scale 0
    b[5] = 0x0F;
    b[128 + 5] = 0b11;
    b[192] = 2;
    float[] y = decode(GGMLType.Q6_K, b, 256);
    assertThat(y[244]).isEqualTo(0.25f * -3 * (9 + 32 - 32));
    assertThat(y[5]).isEqualTo(0.25f * 2 * (63 - 32));
    assertThat(y[6]).isEqualTo(0.25f * 2 * -32);
  }

  @Test
  void unsupportedTypeIsNamed() {
    assertThatThrownBy(() -> decode(GGMLType.Q2_K, new byte[84], 256))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Q2_K");
    assertThatThrownBy(() -> decode(GGMLType.Q8_0, new byte[34], 31))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Q8_0");
  }
}
