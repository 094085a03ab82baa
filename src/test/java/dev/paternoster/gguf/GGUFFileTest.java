package dev.paternoster.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paternoster.TestModels;
import dev.paternoster.tensor.GGMLType;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GGUFFileTest {
  @TempDir Path tmp;

  @Test
  void readsStories260KMetadataAndTensors() {
    try (GGUFFile f = GGUFFile.open(TestModels.stories260K())) {
      assertThat(f.version()).isEqualTo(3);
      assertThat(f.getString("general.architecture")).isEqualTo("llama");
      assertThat(f.getInt("llama.embedding_length")).isEqualTo(64);
      assertThat(f.getInt("llama.block_count")).isEqualTo(5);
      assertThat(f.getStringArray("tokenizer.ggml.tokens")).hasSize(512);
      TensorInfo emb = f.tensor("token_embd.weight");
      assertThat(emb.type()).isEqualTo(GGMLType.F32);
      assertThat(emb.shape()).containsExactly(64, 512);
      assertThat(f.data(emb).byteSize()).isEqualTo(64L * 512 * 4);
    }
  }

  @Test
  void readsVersion1LayoutWithTheSameWeights() {
    Path v1 = TestModels.require("models/stories260K/stories260K-gguf-v1.gguf");
    try (GGUFFile old = GGUFFile.open(v1); GGUFFile cur = GGUFFile.open(TestModels.stories260K())) {
      assertThat(old.version()).isEqualTo(1);
      assertThat(old.tensors()).hasSameSizeAs(cur.tensors());
      for (TensorInfo t : cur.tensors()) {
        TensorInfo o = old.tensor(t.name());
        assertThat(o.type()).isEqualTo(t.type());
        assertThat(o.shape()).isEqualTo(t.shape());
        assertThat(old.data(o).toArray(ValueLayout.JAVA_BYTE))
            .as(t.name()).isEqualTo(cur.data(t).toArray(ValueLayout.JAVA_BYTE));
      }
    }
  }

  @Test
  void refusesBadMagicWithAClearMessage() throws IOException {
    Path p = tmp.resolve("bad.gguf");
    Files.write(p, "NOPE and then some bytes".getBytes());
    assertThatThrownBy(() -> GGUFFile.open(p)).isInstanceOf(GGUFException.class).hasMessageContaining("not a GGUF file");
  }

  @Test
  void refusesUnknownVersion() throws IOException {
    byte[] b = Files.readAllBytes(TestModels.stories260K());
    b[4] = 9;
    Path p = tmp.resolve("v9.gguf");
    Files.write(p, b);
    assertThatThrownBy(() -> GGUFFile.open(p)).isInstanceOf(GGUFException.class).hasMessageContaining("unsupported GGUF version 9");
  }

  @Test
  void refusesTruncatedFile() throws IOException {
    byte[] b = Files.readAllBytes(TestModels.stories260K());
    Path p = tmp.resolve("cut.gguf");
    Files.write(p, Arrays.copyOf(b, b.length - 1000));
    assertThatThrownBy(() -> GGUFFile.open(p)).isInstanceOf(GGUFException.class).hasMessageContaining("past the end of the file");
  }

  @Test
  void missingFileIsNamed() {
    assertThatThrownBy(() -> GGUFFile.open(tmp.resolve("nothing.gguf")))
        .isInstanceOf(GGUFException.class).hasMessageContaining("not found");
  }
}
