package dev.paternoster.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.TestModels;
import org.junit.jupiter.api.Test;

/** Special-token parsing, BOS/EOS and end-of-generation, checked on the shared llama.cpp vocabularies. */
class SpecialTokenTest {
  static Tokenizer vocab(String family) {
    return LlamaCppVocabTest.load(TestModels.require("tokenizers/llama.cpp-vocab/ggml-vocab-" + family + ".gguf"));
  }

  @Test
  void controlTokenTextBecomesOneTokenOnlyWhenParsingSpecials() {
    Tokenizer gpt2 = vocab("gpt-2");
    assertThat(gpt2.encode("a<|endoftext|>b", false, true)).containsExactly(64, 50256, 65);
    assertThat(gpt2.encode("a<|endoftext|>b", false, false)).doesNotContain(50256)
        .containsExactly(gpt2.encode("a<|endoftext|>b", false, false));
    assertThat(gpt2.decode(gpt2.encode("a<|endoftext|>b", false, false))).isEqualTo("a<|endoftext|>b");
  }

  @Test
  void sentencePiecePutsTheSpacePrefixBeforeTextThatFollowsASpecialToken() {
    Tokenizer spm = vocab("llama-spm");
    int hello = 15043; // "▁Hello"
    assertThat(spm.encode("Hello", false, false)).containsExactly(hello);
    // llama.cpp (since mid-2024) prefixes every text piece that follows a special token, not only the first.
    assertThat(spm.encode("<s>Hello</s>", false, true)).containsExactly(1, hello, 2);
    assertThat(spm.encode("</s>Hello", true, true)).containsExactly(1, 2, hello);
    assertThat(spm.encode("<s>", false, false)).doesNotContain(1);
  }

  @Test
  void longestSpecialTokenWinsAndPhi3StripsWhitespaceAfterItsSpecials() {
    Tokenizer phi3 = vocab("phi-3");
    int user = 32010, end = 32007, assistant = 32001, endOfText = 32000;
    // <|endoftext|> and <|end|> share a prefix: the longer one is matched.
    assertThat(phi3.encode("<|endoftext|>", false, true)).containsExactly(endOfText);
    // Phi-3's special tokens swallow the whitespace after them (rstrip, set by model name as in llama.cpp).
    int[] hi = phi3.encode("Hi", false, false);
    assertThat(phi3.encode("<|user|>\nHi<|end|>\n<|assistant|>", false, true))
        .containsExactly(concat(new int[] {user}, hi, new int[] {end, assistant}));
  }

  @Test
  void userDefinedTokensAreSplitOutEvenWithoutParsingSpecials() {
    // DeepSeek's added single-character tokens (ü, ÿ, ...) are user-defined: Hugging Face and llama.cpp cut them out first.
    Tokenizer deepseek = vocab("deepseek-llm");
    int u = vocabOf(deepseek).id("ü");
    assertThat(vocabOf(deepseek).type(u)).isEqualTo(TokenType.USER_DEFINED);
    assertThat(deepseek.encode("Führer", false, false)).contains(u);
    assertThat(new String(deepseek.tokenBytes(u), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("ü");
  }

  @Test
  void bosAndEosFollowTheMetadata() {
    Tokenizer spm = vocab("llama-spm");
    assertThat(spm.addsBos()).isTrue();
    assertThat(spm.bosId()).isEqualTo(1);
    assertThat(spm.eosId()).isEqualTo(2);
    assertThat(spm.encode("", true, false)).containsExactly(1);
    assertThat(spm.encode("", false, false)).isEmpty();

    Tokenizer gpt2 = vocab("gpt-2");
    assertThat(gpt2.addsBos()).isFalse();
    assertThat(gpt2.bosId()).isEqualTo(50256);
    assertThat(gpt2.encode("Hello", true, false)).containsExactly(15496);

    Tokenizer coder = vocab("deepseek-coder"); // tokenizer.ggml.add_bos_token = true
    assertThat(coder.addsBos()).isTrue();
    assertThat(coder.encode("Hi", true, false)[0]).isEqualTo(32013);
  }

  @Test
  void wordPieceWrapsInClsAndSep() {
    Tokenizer bert = vocab("bert-bge");
    assertThat(bert.encode("Hello world", true, false)).containsExactly(101, 7592, 2088, 102);
    assertThat(bert.encode("Hello world", false, false)).containsExactly(7592, 2088);
    assertThat(bert.encode("[CLS] hi", false, true)[0]).isEqualTo(101);
    assertThat(bert.decode(new int[] {101, 7592, 2088, 102})).isEqualTo(" hello world");
  }

  @Test
  void endOfGenerationCoversEosAndKnownEndMarkers() {
    Tokenizer phi3 = vocab("phi-3");
    assertThat(phi3.isEndOfGeneration(32000)).as("<|endoftext|> (EOS)").isTrue();
    assertThat(phi3.isEndOfGeneration(32007)).as("<|end|>").isTrue();
    assertThat(phi3.isEndOfGeneration(32010)).as("<|user|>").isFalse();
    assertThat(phi3.isEndOfGeneration(1)).as("<s>").isFalse();
    assertThat(phi3.isSpecial(32007)).isTrue();
    assertThat(phi3.isSpecial(6324)).isFalse();

    Tokenizer gpt2 = vocab("gpt-2");
    assertThat(gpt2.isEndOfGeneration(50256)).isTrue();
    assertThat(gpt2.isEndOfGeneration(15496)).isFalse();

    Tokenizer coder = vocab("deepseek-coder");
    assertThat(coder.isEndOfGeneration(coder.eosId())).isTrue();
    assertThat(coder.tokenText(coder.eosId())).isEqualTo("<｜end▁of▁sentence｜>");
  }

  @Test
  void tokenBytesRenderPiecesAsLlamaCppDoes() {
    Tokenizer spm = vocab("llama-spm");
    assertThat(spm.tokenBytes(15043)).isEqualTo(" Hello".getBytes());
    assertThat(spm.tokenBytes(vocabOf(spm).id("<0x0A>"))).containsExactly(10);
    assertThat(spm.tokenBytes(1)).isEmpty();
    assertThat(spm.tokenText(1)).isEqualTo("<s>");

    Tokenizer gpt2 = vocab("gpt-2");
    assertThat(gpt2.tokenText(995)).isEqualTo("Ġworld");
    assertThat(gpt2.tokenBytes(995)).isEqualTo(" world".getBytes());
    assertThat(gpt2.tokenBytes(50256)).isEmpty();
  }

  @Test
  void decodeDropsTheSpacePrefixOfTheFirstTokenOnly() {
    Tokenizer spm = vocab("llama-spm");
    assertThat(spm.decode(new int[] {15043, 15043})).isEqualTo("Hello Hello");
    // As llama_detokenize(remove_special=false): a leading BOS renders nothing but uses up the rule.
    assertThat(spm.decode(new int[] {1, 15043})).isEqualTo(" Hello");
    // Byte-level BPE has no space prefix: leading spaces are text.
    Tokenizer gpt2 = vocab("gpt-2");
    assertThat(gpt2.decode(new int[] {995})).isEqualTo(" world");
  }

  static Vocabulary vocabOf(Tokenizer t) {
    return ((VocabularyTokenizer) t).vocabulary();
  }

  private static int[] concat(int[]... parts) {
    return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
  }
}
