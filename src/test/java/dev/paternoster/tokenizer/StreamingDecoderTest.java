package dev.paternoster.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.TestModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamingDecoderTest {
  private static List<String> deltas(Tokenizer tok, int[] ids) {
    StreamingDecoder stream = new StreamingDecoder(tok);
    List<String> out = new ArrayList<>();
    for (int id : ids) out.add(stream.accept(id));
    out.add(stream.finish());
    return out;
  }

  @Test
  void holdsBackACharacterSplitAcrossByteFallbackTokens() {
    Tokenizer stories = LlamaCppVocabTest.load(TestModels.stories260K());
    int[] ids = stories.encode("😀é", false, false); // ▁, <0xF0>, <0x9F>, <0x98>, <0x80>, é
    assertThat(ids).hasSize(6);
    assertThat(deltas(stories, ids)).containsExactly(" ", "", "", "", "😀", "é", "");
  }

  @Test
  void holdsBackACharacterSplitAcrossByteLevelBpeTokens() {
    Tokenizer gpt2 = SpecialTokenTest.vocab("gpt-2");
    int[] ids = gpt2.encode("😀é", false, false); // 'ðŁĺ' (3 bytes of the emoji), 'Ģ', 'Ã©'
    assertThat(ids).containsExactly(47249, 222, 2634);
    assertThat(deltas(gpt2, ids)).containsExactly("", "😀", "é", "");
  }

  @Test
  void controlTokensAddNothingAndLeadingSpacesAreKept() {
    Tokenizer spm = SpecialTokenTest.vocab("llama-spm");
    assertThat(deltas(spm, new int[] {1, 15043, 2})).containsExactly("", " Hello", "", "");
  }

  @Test
  void bytesThatCannotFormACharacterBecomeReplacementCharacters() {
    Tokenizer spm = SpecialTokenTest.vocab("llama-spm");
    Vocabulary v = SpecialTokenTest.vocabOf(spm);
    int ff = v.id("<0xFF>"), e2 = v.id("<0xE2>"), a = v.id("a"), f0 = v.id("<0xF0>");
    assertThat(deltas(spm, new int[] {ff, a})).containsExactly("\uFFFD", "a", "");
    assertThat(deltas(spm, new int[] {e2, a})).containsExactly("", "\uFFFDa", "");
    StreamingDecoder stream = new StreamingDecoder(spm);
    assertThat(stream.accept(f0)).isEmpty();
    assertThat(stream.hasPendingBytes()).isTrue();
    assertThat(stream.finish()).isEqualTo("\uFFFD");
    assertThat(stream.hasPendingBytes()).isFalse();
  }

  @Test
  void deltasJoinToTheDecodedText() {
    Tokenizer gpt2 = SpecialTokenTest.vocab("gpt-2");
    String text = "Grüße, 世界! 🦙🚀 ok\n\tdone";
    int[] ids = gpt2.encode(text, false, false);
    assertThat(String.join("", deltas(gpt2, ids))).isEqualTo(gpt2.decode(ids)).isEqualTo(text);
  }
}
