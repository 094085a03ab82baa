package dev.paternoster.tokenizer;

/**
 * Text to token ids and back, as the model's GGUF metadata defines it.
 *
 * <p>Implementations are immutable and thread-safe.
 */
public interface Tokenizer {
  /**
   * Encodes {@code text}.
   *
   * @param addSpecial add BOS (and EOS) when the vocabulary's metadata says so
   * @param parseSpecial recognise special-token text such as {@code <|im_start|>} as single tokens
   */
  int[] encode(String text, boolean addSpecial, boolean parseSpecial);

  /** The text of {@code ids}, control tokens left out; invalid UTF-8 becomes U+FFFD. */
  String decode(int[] ids);

  /**
   * The bytes token {@code id} adds to generated text (byte tokens give their byte, SentencePiece's
   * ▁ becomes a space, control tokens give nothing). Streaming joins these bytes and decodes UTF-8
   * once a character is complete.
   */
  byte[] tokenBytes(int id);

  /** The token's string as stored in the vocabulary. */
  String tokenText(int id);

  int vocabSize();

  /** BOS id, or -1 when the vocabulary has none. */
  int bosId();

  /** EOS id, or -1 when the vocabulary has none. */
  int eosId();

  /** True for tokens that end generation (EOS, EOT, {@code <|im_end|>}, ...). */
  boolean isEndOfGeneration(int id);

  /** True for control/special tokens (not normal text). */
  boolean isSpecial(int id);

  /** Whether encoding with {@code addSpecial} prepends BOS. */
  boolean addsBos();
}
