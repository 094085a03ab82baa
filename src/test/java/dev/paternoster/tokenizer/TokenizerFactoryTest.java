package dev.paternoster.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing the tokenizer from metadata, with small synthetic vocabularies. */
class TokenizerFactoryTest {
  @TempDir Path tmp;

  private static TinyGGUF bpe(String pre) {
    TinyGGUF g = new TinyGGUF()
        .put("tokenizer.ggml.model", "gpt2")
        .put("tokenizer.ggml.tokens", new String[] {"a", "b", "ab", "Ġ", "<|eot|>"})
        .put("tokenizer.ggml.token_type", new int[] {1, 1, 1, 1, 3})
        .put("tokenizer.ggml.merges", new String[] {"a b"});
    return pre == null ? g : g.put("tokenizer.ggml.pre", pre);
  }

  @Test
  void unknownModelIsRejectedByName() {
    TinyGGUF g = new TinyGGUF().put("tokenizer.ggml.model", "t5").put("tokenizer.ggml.tokens", new String[] {"<pad>"});
    assertThatThrownBy(() -> g.tokenizer(tmp))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unsupported tokenizer model 't5'");
  }

  @Test
  void unknownPreTokenizerIsRejectedByName() {
    assertThatThrownBy(() -> bpe("no-such-pre").tokenizer(tmp))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'no-such-pre'");
  }

  @Test
  void missingPreTokenizerMeansDefaultAsInLlamaCpp() {
    Tokenizer t = bpe(null).tokenizer(tmp);
    assertThat(((BytePairTokenizer) t).preTokenizerName()).isEqualTo("default");
    assertThat(t.encode("ab a", false, false)).containsExactly(2, 3, 0);
  }

  @Test
  void llama3FamilyAddsBosByDefault() {
    Tokenizer t = bpe("llama-bpe").put("tokenizer.ggml.bos_token_id", 4).tokenizer(tmp);
    assertThat(t.addsBos()).isTrue();
    Tokenizer gpt2 = bpe("gpt-2").put("tokenizer.ggml.bos_token_id", 4).tokenizer(tmp);
    assertThat(gpt2.addsBos()).isFalse();
  }

  @Test
  void sentencePieceWithoutByteTokensFallsBackToUnknown() {
    Tokenizer t = new TinyGGUF()
        .put("tokenizer.ggml.model", "llama")
        .put("tokenizer.ggml.tokens", new String[] {"<unk>", "<s>", "</s>", "▁", "a", "▁a"})
        .put("tokenizer.ggml.scores", new float[] {0, 0, 0, -1, -2, -1})
        .put("tokenizer.ggml.token_type", new int[] {2, 3, 3, 1, 1, 1})
        .tokenizer(tmp);
    assertThat(t.encode("a", true, false)).containsExactly(1, 5);
    assertThat(t.encode("aé", false, false)).containsExactly(5, 0, 0); // é is two UTF-8 bytes, each <unk>
  }

  @Test
  void addSpacePrefixCanBeSwitchedOff() {
    Tokenizer t = new TinyGGUF()
        .put("tokenizer.ggml.model", "llama")
        .put("tokenizer.ggml.tokens", new String[] {"<unk>", "<s>", "</s>", "▁", "a", "▁a"})
        .put("tokenizer.ggml.scores", new float[] {0, 0, 0, -1, -2, -1})
        .put("tokenizer.ggml.token_type", new int[] {2, 3, 3, 1, 1, 1})
        .put("tokenizer.ggml.add_space_prefix", false)
        .tokenizer(tmp);
    assertThat(t.encode("a a", false, false)).containsExactly(4, 5);
    assertThat(t.decode(new int[] {5})).isEqualTo(" a");
  }
}
