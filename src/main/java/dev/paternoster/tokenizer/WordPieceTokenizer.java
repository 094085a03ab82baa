package dev.paternoster.tokenizer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * BERT's WordPiece ({@code tokenizer.ggml.model = bert}), as llama.cpp runs it for embedding models:
 * the text is lower-cased and stripped of accents, split at whitespace, punctuation and CJK
 * ideographs, and each word is covered greedily by the longest vocabulary entries. In GGUF,
 * word-initial pieces carry a ▁ prefix (the converter's replacement for BERT's {@code ##} on the
 * other pieces). A word that cannot be covered entirely becomes one {@code [UNK]}.
 *
 * <p>With {@code addSpecial}, the result is wrapped in {@code [CLS]} ... {@code [SEP]}.
 */
public final class WordPieceTokenizer extends VocabularyTokenizer {
  private final boolean lowercase;
  private final boolean stripAccents;
  private final int maxTokenLength;

  WordPieceTokenizer(Vocabulary vocab, boolean lowercase, boolean stripAccents) {
    super(vocab);
    this.lowercase = lowercase;
    this.stripAccents = stripAccents;
    int max = 0;
    for (int id = 0; id < vocab.size(); id++) max = Math.max(max, vocab.text(id).length());
    this.maxTokenLength = max;
  }

  @Override
  protected byte[] normalTokenBytes(String text) {
    return Utf8.bytes(text.replace(SentencePieceTokenizer.SPACE_MARK, ' '));
  }

  /** [CLS] whenever special tokens are added: BERT inputs always start with it. */
  @Override
  protected void addPrefixTokens(IntList out) {
    if (vocab.bos() >= 0) out.add(vocab.bos());
  }

  /** [SEP] closes the sequence. */
  @Override
  protected void addSuffixTokens(IntList out) {
    if (vocab.sep() >= 0) out.add(vocab.sep());
  }

  @Override
  protected void encodeText(String text, boolean afterSpecial, IntList out) {
    for (String word : words(text)) {
      String marked = SentencePieceTokenizer.SPACE_MARK + word;
      int n = marked.length();
      int before = out.size();
      IntList pieces = new IntList(8);
      boolean covered = true;
      for (int i = 0; i < n && covered; ) {
        covered = false;
        for (int j = Math.min(n, i + maxTokenLength); j > i; j--) {
          int id = vocab.id(marked.substring(i, j));
          if (id >= 0) {
            pieces.add(id);
            i = j;
            covered = true;
            break;
          }
        }
      }
      if (covered) out.addAll(pieces.toArray());
      if (out.size() == before) out.add(vocab.unk());
    }
  }

  /** BERT's basic tokenization: normalize, then split at whitespace, punctuation and CJK ideographs. */
  private List<String> words(String text) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (stripAccents) cp = baseCharacter(cp);
      if (isWhiteSpace(cp)) {
        flush(word, words);
        continue;
      }
      int type = Character.getType(cp);
      if (cp == 0 || cp == 0xFFFD || isOther(type)) continue;
      if (stripAccents && isMark(type)) continue;
      if (lowercase) cp = Character.toLowerCase(cp);
      if (isPunctuation(type) || (cp < 0x7F && isSymbol(type)) || isChineseIdeograph(cp)) {
        flush(word, words);
        words.add(Character.toString(cp));
      } else {
        word.appendCodePoint(cp);
      }
    }
    flush(word, words);
    return words;
  }

  private static void flush(StringBuilder word, List<String> words) {
    if (!word.isEmpty()) {
      words.add(word.toString());
      word.setLength(0);
    }
  }

  /** The first character of the canonical decomposition: é → e (llama.cpp maps code point by code point). */
  private static int baseCharacter(int cp) {
    if (cp < 0xC0) return cp;
    return Normalizer.normalize(Character.toString(cp), Normalizer.Form.NFD).codePointAt(0);
  }

  /** Unicode White_Space: the Z categories plus tab, line feed, vertical tab, form feed, CR and NEL. */
  static boolean isWhiteSpace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || Character.isSpaceChar(cp);
  }

  private static boolean isOther(int type) {
    return type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE || type == Character.SURROGATE;
  }

  private static boolean isMark(int type) {
    return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK || type == Character.ENCLOSING_MARK;
  }

  private static boolean isPunctuation(int type) {
    return switch (type) {
      case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
           Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
           Character.OTHER_PUNCTUATION -> true;
      default -> false;
    };
  }

  private static boolean isSymbol(int type) {
    return type == Character.MATH_SYMBOL || type == Character.CURRENCY_SYMBOL
        || type == Character.MODIFIER_SYMBOL || type == Character.OTHER_SYMBOL;
  }

  /** BERT's "Chinese character" ranges (CJK ideographs, not all of CJK). */
  private static boolean isChineseIdeograph(int cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
  }
}
