package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paternoster.TestModels;
import dev.paternoster.gguf.GGUFFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class WeightTest {

  @Test
  void ofTakesGgmlShapeZeroAsRowLength() {
    try (GGUFFile f = GGUFFile.open(TestModels.stories260K())) {
      Weight emb = Weight.of(f, "token_embd.weight");
      assertThat(emb.type()).isEqualTo(GGMLType.F32);
      assertThat(emb.cols()).isEqualTo(64);
      assertThat(emb.rows()).isEqualTo(512);
      float[] row = emb.dequantizeRow(3);
      MemorySegment d = f.data(f.tensor("token_embd.weight"));
      assertThat(row[5]).isEqualTo(d.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), (3 * 64 + 5) * 4L));
      String norm = f.tensors().stream().filter(t -> t.shape().length == 1).findFirst().orElseThrow().name();
      Weight v = Weight.of(f, norm);
      assertThat(v.rows()).isEqualTo(1);
      assertThat(v.cols()).isEqualTo((int) f.tensor(norm).shape()[0]);
    }
  }

  @Test
  void rejectsSegmentsTooSmallAndBadShapes() {
    assertThatThrownBy(() -> new Weight("w", GGMLType.Q8_0, 2, 32, MemorySegment.ofArray(new byte[67])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("68");
    assertThatThrownBy(() -> new Weight("w", GGMLType.Q4_K, 1, 100, MemorySegment.ofArray(new byte[144])))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void dequantizeRowReadsTheRightRow() {
    float[] v = new float[3 * 32];
    for (int i = 0; i < v.length; i++) v[i] = i / 32; // row r holds r
    Weight w = Quantize.weight("w", GGMLType.Q4_0, 3, 32, v);
    assertThat(w.dequantizeRow(2)).containsOnly(2f); // d = 2/-8, q = 0: exact
    assertThat(w.rowOffset(2)).isEqualTo(36);
  }
}
