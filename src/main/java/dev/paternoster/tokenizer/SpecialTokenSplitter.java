package dev.paternoster.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts special-token texts out of the input before the normal tokenizer sees it, the way
 * llama.cpp's {@code tokenizer_st_partition} does: for each special token, longest text first, every
 * occurrence in the remaining text pieces becomes that token. User-defined tokens are always cut
 * out (Hugging Face does the same with added tokens); control and unknown tokens only when the
 * caller asks to parse special tokens, so that user text like {@code "<|im_start|>"} stays text.
 *
 * <p>Longest-token-first over the whole text (not longest match at each position) matters when
 * special texts overlap; we keep llama.cpp's order so ids agree.
 */
final class SpecialTokenSplitter {
  /** A piece of the input: either text still to tokenize or a token already decided. */
  sealed interface Fragment permits Text, Token {}

  /**
   * Text still to tokenize.
   *
   * @param afterSpecial the piece starts the input or follows a special token (SentencePiece adds
   *     its dummy space prefix only there)
   */
  record Text(String text, boolean afterSpecial) implements Fragment {}

  record Token(int id) implements Fragment {}

  private final Vocabulary vocab;
  private final TrieNode root = new TrieNode();

  SpecialTokenSplitter(Vocabulary vocab) {
    this.vocab = vocab;
    for (int id : vocab.specialTokensLongestFirst()) root.insert(vocab.text(id), id);
  }

  List<Fragment> split(String text, boolean parseSpecial) {
    List<Span> spans = new ArrayList<>();
    if (!text.isEmpty()) spans.add(Span.text(0, text.length()));
    BitSet present = tokensPresentIn(text);
    if (!present.isEmpty()) {
      for (int id : vocab.specialTokensLongestFirst()) {
        if (!present.get(id)) continue;
        if (!parseSpecial && vocab.type(id) != TokenType.USER_DEFINED) continue;
        spans = splitOn(text, spans, id);
      }
    }
    List<Fragment> out = new ArrayList<>(spans.size());
    boolean afterSpecial = true;
    for (Span s : spans) {
      if (s.token >= 0) {
        out.add(new Token(s.token));
        afterSpecial = true;
      } else {
        out.add(new Text(text.substring(s.start, s.end), afterSpecial));
        afterSpecial = false;
      }
    }
    return out;
  }

  /** Every occurrence of token {@code id} in the text spans becomes a token span. */
  private List<Span> splitOn(String text, List<Span> spans, int id) {
    String special = vocab.text(id);
    boolean lstrip = vocab.stripsLeft(id), rstrip = vocab.stripsRight(id);
    List<Span> out = new ArrayList<>(spans.size() + 2);
    for (Span s : spans) {
      if (s.token >= 0) {
        out.add(s);
        continue;
      }
      int start = s.start;
      int end = s.end;
      while (start < end) {
        int match = text.indexOf(special, start);
        if (match < 0 || match + special.length() > end) {
          out.add(Span.text(start, end));
          break;
        }
        int leftEnd = match;
        if (lstrip) while (leftEnd > start && isCSpace(text.charAt(leftEnd - 1))) leftEnd--;
        if (leftEnd > start) out.add(Span.text(start, leftEnd));
        out.add(Span.token(id));
        start = match + special.length();
        if (rstrip) while (start < end && isCSpace(text.charAt(start))) start++;
      }
    }
    return out;
  }

  /** Which special tokens occur anywhere in {@code text}: one trie walk per position, so tokens that cannot match cost nothing. */
  private BitSet tokensPresentIn(String text) {
    BitSet present = new BitSet();
    if (root.children.isEmpty()) return present;
    for (int i = 0; i < text.length(); i++) {
      TrieNode node = root;
      for (int j = i; j < text.length(); j++) {
        node = node.children.get(text.charAt(j));
        if (node == null) break;
        if (node.id >= 0) present.set(node.id);
      }
    }
    return present;
  }

  /** C's {@code isspace} in the "C" locale, which llama.cpp uses for the strip rules. */
  private static boolean isCSpace(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
  }

  /** A text range [start, end) of the input, or a token when {@code token >= 0}. */
  private record Span(int start, int end, int token) {
    static Span text(int start, int end) {
      return new Span(start, end, -1);
    }

    static Span token(int id) {
      return new Span(0, 0, id);
    }
  }

  private static final class TrieNode {
    final Map<Character, TrieNode> children = new HashMap<>();
    int id = -1;

    void insert(String s, int tokenId) {
      TrieNode node = this;
      for (int i = 0; i < s.length(); i++) node = node.children.computeIfAbsent(s.charAt(i), c -> new TrieNode());
      node.id = tokenId;
    }
  }
}
