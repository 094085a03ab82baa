package dev.paternoster.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paternoster.bench.ModelShape;
import dev.paternoster.bench.Synthesizer;
import dev.paternoster.gguf.GGUFException;
import dev.paternoster.tensor.GGMLType;
import dev.paternoster.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Every supported architecture and weight type loads from a file written by {@code synth} and runs:
 * qwen2 (QKV biases, NeoX RoPE), qwen3 (Q/K norms, head size apart from dim/heads), llama with
 * Llama 3 RoPE factors and an untied output; logits are finite and batch-invariant.
 */
class ArchitecturesTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @CsvSource({"qwen2,Q8_0", "qwen3,Q4_0", "llama,Q4_K", "llama,Q5_K", "llama,Q6_K", "llama,BF16", "qwen2,F16", "qwen3,F32"})
  void synthesizedModelsLoadAndRun(String arch, GGMLType type) throws Exception {
    ModelShape shape = new ModelShape("test-" + arch, arch, 256, 2, 4, 2, arch.equals("qwen3") ? 96 : 64, 512, 600, 512,
        arch.equals("llama") ? 500000f : 1000000f, 1e-6f, !arch.equals("llama"), arch.equals("qwen2"),
        arch.equals("qwen3"), arch.equals("llama"));
    Path file = tmp.resolve(arch + "-" + type + ".gguf");
    new Synthesizer(shape, type, 5, null).write(file);
    try (LlamaModel m = LlamaModel.load(file, 16, Parallel.shared())) {
      ModelConfig c = m.config();
      assertThat(c.architecture()).isEqualTo(arch);
      assertThat(c.qkvBias()).isEqualTo(arch.equals("qwen2"));
      assertThat(c.qkNorm()).isEqualTo(arch.equals("qwen3"));
      assertThat(c.ropeNeox()).isEqualTo(!arch.equals("llama"));
      assertThat(c.tiedEmbeddings()).isEqualTo(!arch.equals("llama"));
      assertThat(c.headDim()).isEqualTo(shape.headDim());
      assertThat(c.ropeScaling()).isEqualTo(arch.equals("llama") ? "llama3" : "none");

      int[] prompt = m.tokenizer().encode("hello there", true, false);
      float[] whole = new float[c.vocabSize()];
      try (KvCache kv = m.newKvCache(2, 16)) {
        m.forward(Batch.single(prompt, 0, new int[] {0, 1}), kv, whole);
      }
      for (float f : whole) assertThat(Float.isFinite(f)).isTrue();
      float[] stepwise = new float[c.vocabSize()];
      try (KvCache kv = m.newKvCache(2, 16)) {
        for (int i = 0; i < prompt.length; i++) {
          m.forward(Batch.single(new int[] {prompt[i]}, i, new int[] {1, 0}), kv, stepwise);
        }
      }
      assertThat(stepwise).as("token by token equals the whole prompt at once").containsExactly(whole);
    }
  }

  @Test
  void unsupportedArchitectureIsRefusedByName() throws Exception {
    byte[] b = Files.readAllBytes(dev.paternoster.TestModels.stories260K());
    // rename the architecture value 'llama' to 'gemma' in the metadata: same length, so the file stays valid
    String s = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
    int at = s.indexOf("general.architecture");
    int v = s.indexOf("llama", at);
    byte[] g = "gemma".getBytes();
    System.arraycopy(g, 0, b, v, 5);
    Path p = tmp.resolve("gemma.gguf");
    Files.write(p, b);
    assertThatThrownBy(() -> LlamaModel.load(p, 8, Parallel.shared()))
        .isInstanceOf(GGUFException.class).hasMessageContaining("unsupported architecture 'gemma'");
  }
}
