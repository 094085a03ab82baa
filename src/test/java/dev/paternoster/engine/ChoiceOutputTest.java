package dev.paternoster.engine;

import static dev.paternoster.engine.FakeTokenizer.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Detokenization, stop conditions and held-back text of one choice. */
class ChoiceOutputTest {
  private final FakeTokenizer tokenizer = new FakeTokenizer();

  private List<TokenEvent> run(SamplingParams p, int... tokens) {
    ChoiceOutput out = new ChoiceOutput(0, tokenizer, p);
    List<TokenEvent> events = new ArrayList<>();
    int n = 0;
    for (int t : tokens) {
      TokenEvent e = out.onToken(new Sample(t, Float.NaN, null), ++n, 1);
      events.add(e);
      if (e.isFinal()) break;
    }
    return events;
  }

  private static List<String> deltas(List<TokenEvent> events) {
    return events.stream().map(TokenEvent::textDelta).toList();
  }

  private static String text(List<TokenEvent> events) {
    return String.join("", deltas(events));
  }

  private static SamplingParams stops(String... stop) {
    return SamplingParams.builder().maxTokens(20).stop(stop).build();
  }

  @Test
  void aMultiByteCharacterSplitOverTokensIsEmittedWhole() {
    List<TokenEvent> ev = run(SamplingParams.greedy(4), word('a'), EURO_1, EURO_2, EURO_3);
    assertThat(deltas(ev)).containsExactly(" a", "", "", "€");
    assertThat(ev.getLast().finishReason()).isEqualTo(FinishReason.LENGTH);
  }

  @Test
  void anIncompleteCharacterAtTheEndBecomesAReplacementCharacter() {
    List<TokenEvent> ev = run(SamplingParams.greedy(2), word('a'), EURO_1);
    assertThat(text(ev)).isEqualTo(" a\uFFFD");
  }

  @Test
  void aStopStringSplitAcrossTokensNeverLeaks() {
    List<TokenEvent> ev = run(stops("STOP"), word('a'), ST, OP, word('b'));
    assertThat(deltas(ev)).containsExactly(" a", "", "");
    assertThat(ev.getLast().finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(ev.getLast().stopReason()).isEqualTo("STOP");
    assertThat(ev.getLast().tokenId()).isEqualTo(OP);
  }

  @Test
  void aStopStringEndingMidTokenCutsTheText() {
    // "a" + "ST" contains stop "aS": the text before it is kept, the rest dropped.
    List<TokenEvent> ev = run(stops("aS"), word('x'), letter('a'), ST, word('b'));
    assertThat(text(ev)).isEqualTo(" x");
    assertThat(ev.getLast().stopReason()).isEqualTo("aS");
  }

  @Test
  void heldBackTextIsReleasedWhenItTurnsOutNotToBeAStop() {
    List<TokenEvent> ev = run(stops("STX", "!!"), word('a'), ST, OP, BANG, word('b'), BANG, DOT);
    assertThat(deltas(ev)).containsExactly(" a", "", "STOP", "", "! b", "", "!.");
    assertThat(ev.getLast().finishReason()).isNull();
  }

  @Test
  void theEarliestOfSeveralStopStringsWins() {
    List<TokenEvent> ev = run(stops("OP", "ST"), word('a'), ST, OP);
    assertThat(text(ev)).isEqualTo(" a");
    assertThat(ev.getLast().stopReason()).isEqualTo("ST");
  }

  @Test
  void endOfGenerationStopsWithoutTextAndStopTokenIdsToo() {
    List<TokenEvent> eos = run(SamplingParams.greedy(10), word('a'), EOS, word('b'));
    assertThat(eos).hasSize(2);
    assertThat(eos.getLast().finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(eos.getLast().stopReason()).isNull();
    assertThat(text(eos)).isEqualTo(" a");
    List<TokenEvent> imEnd = run(SamplingParams.greedy(10), word('a'), IM_END);
    assertThat(imEnd.getLast().finishReason()).isEqualTo(FinishReason.STOP);

    SamplingParams ids = SamplingParams.builder().maxTokens(10).stopTokenIds(Set.of(word('b'))).build();
    List<TokenEvent> ev = run(ids, word('a'), word('b'), word('c'));
    assertThat(text(ev)).isEqualTo(" a");
    assertThat(ev.getLast().stopReason()).isEqualTo(String.valueOf(word('b')));
  }

  @Test
  void ignoreEosGoesOnAndAddsNoText() {
    SamplingParams p = SamplingParams.builder().maxTokens(3).ignoreEos(true).build();
    List<TokenEvent> ev = run(p, word('a'), EOS, word('b'));
    assertThat(ev).hasSize(3);
    assertThat(text(ev)).isEqualTo(" a b");
    assertThat(ev.getLast().finishReason()).isEqualTo(FinishReason.LENGTH);
  }

  @Test
  void noStopConditionAppliesBeforeMinTokens() {
    SamplingParams p = SamplingParams.builder().maxTokens(10).minTokens(3).stop("ST").stopTokenIds(Set.of(word('c'))).build();
    List<TokenEvent> ev = run(p, word('c'), ST, word('a'), ST);
    // c (1st) is a stop id and "ST" (2nd) a stop string, both before min_tokens; the 4th "ST" stops.
    assertThat(ev).hasSize(4);
    assertThat(text(ev)).isEqualTo(" cST a");
    assertThat(ev.getLast().stopReason()).isEqualTo("ST");
    List<TokenEvent> eos = run(p.withMaxTokens(3), word('a'), EOS, word('b'));
    assertThat(eos).hasSize(3);
    assertThat(eos.getLast().finishReason()).isEqualTo(FinishReason.LENGTH);
  }

  @Test
  void lengthFlushesHeldBackText() {
    List<TokenEvent> ev = run(SamplingParams.builder().maxTokens(2).stop("STOP").build(), word('a'), ST);
    assertThat(deltas(ev)).containsExactly(" a", "ST");
    assertThat(ev.getLast().finishReason()).isEqualTo(FinishReason.LENGTH);
  }

  @Test
  void endingWithoutATokenFlushesAndReportsTheReason() {
    ChoiceOutput out = new ChoiceOutput(2, tokenizer, stops("STOP"));
    out.onToken(new Sample(ST, Float.NaN, null), 1, 1);
    TokenEvent e = out.end(FinishReason.ABORT, null);
    assertThat(e.tokenId()).isEqualTo(-1);
    assertThat(e.choiceIndex()).isEqualTo(2);
    assertThat(e.textDelta()).isEqualTo("ST");
    assertThat(e.finishReason()).isEqualTo(FinishReason.ABORT);
    Choice c = out.toChoice(new int[] {ST});
    assertThat(c.text()).isEqualTo("ST");
    assertThat(c.finishReason()).isEqualTo(FinishReason.ABORT);
    assertThat(c.logprobs()).isNull();
  }

  @Test
  void completePrefixHoldsOnlyAnUnfinishedLastCharacter() {
    byte[] euro = "€".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(Detokenizer.completePrefix(euro, 3)).isEqualTo(3);
    assertThat(Detokenizer.completePrefix(euro, 2)).isZero();
    assertThat(Detokenizer.completePrefix(new byte[] {'a', euro[0]}, 2)).isEqualTo(1);
    assertThat(Detokenizer.completePrefix(new byte[] {'a', (byte) 0x80}, 2)).isEqualTo(2); // stray continuation passes
    byte[] emoji = "😀".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(Detokenizer.completePrefix(emoji, 3)).isZero();
    assertThat(Detokenizer.completePrefix(emoji, 4)).isEqualTo(4);
  }
}
