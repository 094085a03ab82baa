package dev.paternoster.bench;

import dev.paternoster.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The token ids random prompts are drawn from: ordinary text tokens only.
 *
 * <p>Special tokens are left out because a stray BOS or {@code <|im_end|>} inside a prompt changes
 * what servers do with it; the 256 byte tokens of SentencePiece-style vocabularies (ids 3..258)
 * are left out because lone bytes are not valid UTF-8, which some servers (llama-server) reject.
 *
 * @param ids allowed token ids, ascending
 * @param bosId the BOS id to start every prompt with, or -1 for none
 * @param vocabSize size of the whole vocabulary (ids in a logit bias must stay below it)
 */
public record TokenPool(int[] ids, int bosId, int vocabSize) {

  /** First and last id of the byte tokens of a SentencePiece vocabulary with byte fallback. */
  public static final int FIRST_BYTE_TOKEN = 3, LAST_BYTE_TOKEN = 258;

  public TokenPool {
    if (ids.length == 0) throw new IllegalArgumentException("no ordinary tokens to build prompts from");
  }

  /** Every id that is not special, not end-of-generation and not a byte token. */
  public static TokenPool of(Tokenizer tokenizer) {
    boolean byteFallback = tokenizer.vocabSize() > LAST_BYTE_TOKEN && isByteToken(tokenizer.tokenText(FIRST_BYTE_TOKEN));
    int[] ids = IntStream.range(0, tokenizer.vocabSize())
        .filter(id -> !tokenizer.isSpecial(id) && !tokenizer.isEndOfGeneration(id))
        .filter(id -> !isByteToken(tokenizer.tokenText(id)))
        .filter(id -> !(byteFallback && id >= FIRST_BYTE_TOKEN && id <= LAST_BYTE_TOKEN))
        .toArray();
    return new TokenPool(ids, tokenizer.addsBos() ? tokenizer.bosId() : -1, tokenizer.vocabSize());
  }

  /**
   * Without a vocabulary file (benchmarking a remote server): ids from 259 up, which skips the
   * specials and byte tokens of SentencePiece vocabularies and costs nothing elsewhere.
   */
  public static TokenPool ofVocabSize(int vocabSize) {
    if (vocabSize <= LAST_BYTE_TOKEN + 1) {
      throw new IllegalArgumentException("vocabulary of " + vocabSize + " tokens is too small without a tokenizer file");
    }
    return new TokenPool(IntStream.range(LAST_BYTE_TOKEN + 1, vocabSize).toArray(), -1, vocabSize);
  }

  private static boolean isByteToken(String text) {
    return text != null && text.length() == 6 && text.startsWith("<0x") && text.endsWith(">");
  }

  /** The byte-token ids that exist in this vocabulary (for a -100 logit bias against them). */
  public int[] byteTokenIds() {
    return IntStream.rangeClosed(FIRST_BYTE_TOKEN, Math.min(LAST_BYTE_TOKEN, vocabSize - 1)).toArray();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenPool p && Arrays.equals(ids, p.ids) && bosId == p.bosId && vocabSize == p.vocabSize;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ids) * 31 + bosId * 7 + vocabSize;
  }

  @Override
  public String toString() {
    return "TokenPool[" + ids.length + " ids of " + vocabSize + ", bos " + bosId + "]";
  }
}
