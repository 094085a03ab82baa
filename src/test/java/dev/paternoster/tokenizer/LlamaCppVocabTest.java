package dev.paternoster.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.TestModels;
import dev.paternoster.gguf.GGUFFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every llama.cpp vocabulary test vector whose vocabulary file is in ../shared: encoding must give
 * llama.cpp's ids exactly (test-tokenizer-0 encodes with add_special=false, parse_special=false),
 * and decoding must give the string back (except for WordPiece, which normalizes).
 */
class LlamaCppVocabTest {
  /** Every family with both a vocabulary file and test vectors in ../shared. */
  static final String[] FAMILIES = {
      "llama-spm", "phi-3", "gpt-2", "falcon", "mpt", "starcoder", "refact", "deepseek-coder", "deepseek-llm", "bert-bge"};

  @TestFactory
  Stream<DynamicNode> encodesLikeLlamaCpp() {
    return Stream.of(FAMILIES).map(family -> {
      Path gguf = TestModels.require("tokenizers/llama.cpp-vocab/ggml-vocab-" + family + ".gguf");
      Tokenizer tok = load(gguf);
      VocabTestVectors vectors = VocabTestVectors.read(gguf);
      return DynamicContainer.dynamicContainer(family, vectors.cases().stream().map(c ->
          DynamicTest.dynamicTest(c.toString(), () -> {
            int[] ids = tok.encode(c.text(), false, false);
            assertThat(ids).as("ids of %s", c).containsExactly(c.expected());
            // WordPiece lower-cases and drops whitespace and accents, so only the lossless families round-trip.
            if (!family.equals("bert-bge")) assertThat(tok.decode(ids)).as("decode(encode(%s))", c).isEqualTo(c.text());
          })));
    });
  }

  /** Every vocabulary file loads, including those without test vectors (gpt-neox has no pre: default). */
  @TestFactory
  Stream<DynamicTest> everyVocabularyFileLoadsAndRoundTrips() throws java.io.IOException {
    Path dir = TestModels.require("tokenizers/llama.cpp-vocab");
    String text = "Hello, wörld!  Numbers 12345, tabs\tand\nnewlines; 中文 🦙 «quotes» ok";
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".gguf")).sorted().toList().stream()
          .map(gguf -> DynamicTest.dynamicTest(gguf.getFileName().toString(), () -> {
            Tokenizer tok = load(gguf);
            int[] ids = tok.encode(text, true, true);
            assertThat(ids).isNotEmpty();
            if (!gguf.toString().contains("bert")) assertThat(tok.decode(tok.encode(text, false, false))).isEqualTo(text);
          }));
    }
  }

  /** llama2-tiny-random carries the real Llama 2 vocabulary, the same one as ggml-vocab-llama-spm. */
  @TestFactory
  Stream<DynamicTest> llama2ModelVocabularyEncodesTheLlamaSpmVectors() {
    Path model = TestModels.require("models/llama2-tiny-random/llama-2-tiny-random.gguf");
    Tokenizer tok = load(model);
    VocabTestVectors vectors = VocabTestVectors.read(TestModels.require("tokenizers/llama.cpp-vocab/ggml-vocab-llama-spm.gguf"));
    return vectors.cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(),
        () -> assertThat(tok.encode(c.text(), false, false)).containsExactly(c.expected())));
  }

  static Tokenizer load(Path gguf) {
    try (GGUFFile f = GGUFFile.open(gguf)) {
      return Tokenizers.fromGGUF(f);
    }
  }

  static boolean exists(String relative) {
    return Files.exists(TestModels.shared().resolve(relative));
  }
}
