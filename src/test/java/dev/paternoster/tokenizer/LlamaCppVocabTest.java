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

  static Tokenizer load(Path gguf) {
    try (GGUFFile f = GGUFFile.open(gguf)) {
      return Tokenizers.fromGGUF(f);
    }
  }

  static boolean exists(String relative) {
    return Files.exists(TestModels.shared().resolve(relative));
  }
}
