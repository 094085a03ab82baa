package dev.paternoster.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.model.LlamaModel;
import dev.paternoster.tensor.Parallel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Truncated and bit-flipped copies of a real model: every one either loads or ends in a
 * {@link GGUFException} naming the problem; never another exception, a hang or running out of memory.
 */
class GGUFFuzzProperties {
  private static byte[] original;
  private static Path dir;

  @BeforeContainer
  static void load() throws IOException {
    Path model = Paths.get("..", "shared", "models", "stories260K", "stories260K.gguf").toAbsolutePath().normalize();
    original = Files.exists(model) ? Files.readAllBytes(model) : null;
    dir = Files.createTempDirectory("gguf-fuzz");
  }

  @Property(tries = 150)
  void truncatedFilesFailClearly(@ForAll @IntRange(min = 0, max = 1_185_375) int length) throws IOException {
    if (original == null) return;
    byte[] b = java.util.Arrays.copyOf(original, Math.min(length, original.length - 1));
    check(b);
  }

  @Property(tries = 250)
  void bitFlippedHeadersFailClearlyOrLoad(
      @ForAll @IntRange(min = 0, max = 20_000) int offset, @ForAll @IntRange(min = 0, max = 7) int bit,
      @ForAll @IntRange(min = 1, max = 4) int flips) throws IOException {
    if (original == null) return;
    byte[] b = original.clone();
    for (int i = 0; i < flips; i++) {
      int at = (offset + i * 977) % 20_000;
      b[at] ^= (byte) (1 << ((bit + i) % 8));
    }
    check(b);
  }

  private static void check(byte[] bytes) throws IOException {
    Path p = Files.createTempFile(dir, "fuzz", ".gguf");
    try {
      Files.write(p, bytes);
      try (LlamaModel m = LlamaModel.load(p, 8, Parallel.shared())) {
        assertThat(m.config().vocabSize()).isPositive();
      } catch (GGUFException e) {
        assertThat(e.getMessage()).isNotBlank();
      }
    } finally {
      Files.deleteIfExists(p);
    }
  }
}
