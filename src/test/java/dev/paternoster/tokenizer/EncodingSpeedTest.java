package dev.paternoster.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Encoding a prompt of a few thousand tokens must take milliseconds. The bounds are loose (shared
 * CI machines are slow and noisy); a quadratic merge would miss them by orders of magnitude.
 */
class EncodingSpeedTest {
  private static final long LIMIT_NANOS = 1_000_000_000L;

  /** Varied prose, code-ish and numeric text, with no repetition so the BPE word cache does not help much. */
  static String prompt(int words, long seed) {
    Random r = new Random(seed);
    String[] stems = {"token", "model", "Paternoster", "inference", "батч", "キャッシュ", "llama", "über", "42", "x_y", "{}", "🦙"};
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words; i++) {
      sb.append(stems[r.nextInt(stems.length)]).append(Integer.toString(r.nextInt(100_000), 36));
      sb.append(r.nextInt(10) == 0 ? ".\n" : r.nextInt(7) == 0 ? ", " : " ");
    }
    return sb.toString();
  }

  private static long timeEncode(Tokenizer t, String text, int minTokens) {
    t.encode(prompt(200, 7), false, false); // warm-up
    long start = System.nanoTime();
    int[] ids = t.encode(text, true, false);
    long elapsed = System.nanoTime() - start;
    assertThat(ids.length).isGreaterThan(minTokens);
    return elapsed;
  }

  @Test
  void byteLevelBpeEncodesThousandsOfTokensQuickly() {
    Tokenizer gpt2 = SpecialTokenTest.vocab("gpt-2");
    assertThat(timeEncode(gpt2, prompt(1000, 1), 4000)).isLessThan(LIMIT_NANOS);
  }

  @Test
  void sentencePieceEncodesThousandsOfTokensQuickly() {
    Tokenizer spm = SpecialTokenTest.vocab("llama-spm");
    assertThat(timeEncode(spm, prompt(1000, 2), 4000)).isLessThan(LIMIT_NANOS);
  }

  @Test
  void oneHugeWordIsNotQuadratic() {
    // 20k letters without a break: one pre-tokenizer word, one 20k-symbol merge for both algorithms.
    Random r = new Random(3);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20_000; i++) sb.append((char) ('a' + r.nextInt(26)));
    String word = sb.toString();
    assertThat(timeEncode(SpecialTokenTest.vocab("gpt-2"), word, 4000)).isLessThan(LIMIT_NANOS);
    assertThat(timeEncode(SpecialTokenTest.vocab("llama-spm"), word, 4000)).isLessThan(LIMIT_NANOS);
  }
}
