package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The vector decoders must produce exactly the floats of the scalar reference. */
class RowDecoderTest {

  @ParameterizedTest
  @EnumSource(value = GGMLType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
  void vectorDecoderIsBitIdenticalToDequantOnRandomBytes(GGMLType t) {
    int cols = t.blockSize == 1 ? 1000 + 37 : 4 * t.blockSize * (t.blockSize == 32 ? 8 : 1);
    byte[] bytes = new byte[(int) t.bytesFor(cols) + 3];
    new Random(t.id).nextBytes(bytes);
    MemorySegment seg = MemorySegment.ofArray(bytes);
    RowDecoder vector = RowDecoder.of(t), scalar = RowDecoder.scalar(t);
    // whole row at a row offset that is not aligned, and a sub-range starting after the first block
    for (long rowOff : new long[] {0, 3}) {
      for (int col : new int[] {0, t.blockSize == 1 ? 5 : t.blockSize}) {
        int n = cols - col - (t.blockSize == 1 ? 2 : 0);
        float[] a = new float[n + 4], b = new float[n + 4];
        vector.decode(seg, rowOff, col, n, a, 4);
        scalar.decode(seg, rowOff, col, n, b, 4);
        assertThat(a).as("%s from col %d at byte %d", t, col, rowOff).containsExactly(b);
      }
    }
  }

  @Test
  void halfToFloatMatchesJavaForAll65536Values() {
    byte[] bytes = new byte[2 * 65536];
    for (int h = 0; h < 65536; h++) {
      bytes[2 * h] = (byte) h;
      bytes[2 * h + 1] = (byte) (h >> 8);
    }
    float[] got = new float[65536];
    RowDecoder.of(GGMLType.F16).decode(MemorySegment.ofArray(bytes), 0, 0, 65536, got, 0);
    for (int h = 0; h < 65536; h++) {
      assertThat(Float.floatToRawIntBits(got[h])).as("half 0x%04x", h)
          .isEqualTo(Float.floatToRawIntBits(Float.float16ToFloat((short) h)));
    }
  }
}
