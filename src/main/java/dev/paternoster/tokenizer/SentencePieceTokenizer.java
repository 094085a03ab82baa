package dev.paternoster.tokenizer;

import java.util.PriorityQueue;

/**
 * SentencePiece BPE as llama.cpp runs it for {@code tokenizer.ggml.model = llama} (Llama 1/2,
 * Mistral, Phi-3, Baichuan, TinyStories...): spaces become ▁, a space is put in front of text that
 * starts the input or follows a special token, then adjacent symbols are merged greedily, always
 * the pair whose merged text is the vocabulary entry with the highest score (leftmost on ties).
 * Whatever never became a vocabulary entry is written as byte tokens {@code <0xXX>}.
 *
 * <p>The merge uses a priority queue of candidate pairs over a linked list of symbols, so it is
 * O(n log n) in the text length.
 */
public final class SentencePieceTokenizer extends VocabularyTokenizer {
  static final char SPACE_MARK = '\u2581'; // ▁

  /** The byte token for every byte value, resolved once. */
  private final int[] byteTokens = new int[256];

  SentencePieceTokenizer(Vocabulary vocab) {
    super(vocab);
    for (int b = 0; b < 256; b++) {
      int id = vocab.id(String.format("<0x%02X>", b));
      // Vocabularies without byte fallback may hold the byte itself as a token (llama.cpp's fallback).
      if (id < 0 && b < 0x80) id = vocab.id(String.valueOf((char) b));
      byteTokens[b] = id >= 0 ? id : vocab.unk();
    }
  }

  @Override
  protected byte[] normalTokenBytes(String text) {
    return Utf8.bytes(text.replace(SPACE_MARK, ' '));
  }

  @Override
  protected void encodeText(String text, boolean afterSpecial, IntList out) {
    String prefixed = vocab.addSpacePrefix() && afterSpecial ? " " + text : text;
    new Merge(prefixed.replace(' ', SPACE_MARK)).run(out);
  }

  /** A candidate merge of symbol {@code left} with its right neighbour {@code right}. */
  private record Bigram(int left, int right, float score, int length) {}

  /** One merge run over one piece of text: symbols are code points at first, a doubly linked list. */
  private final class Merge {
    final String text;
    final int[] start;
    final int[] length; // in chars; 0 once merged into the left neighbour
    final int[] prev;
    final int[] next;
    final PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> {
      int c = Float.compare(b.score, a.score); // highest score first
      return c != 0 ? c : Integer.compare(a.left, b.left); // then leftmost
    });

    Merge(String text) {
      this.text = text;
      int n = text.codePointCount(0, text.length());
      start = new int[n];
      length = new int[n];
      prev = new int[n];
      next = new int[n];
      for (int i = 0, offset = 0; i < n; i++) {
        int len = Character.charCount(text.codePointAt(offset));
        start[i] = offset;
        length[i] = len;
        prev[i] = i - 1;
        next[i] = i + 1 < n ? i + 1 : -1;
        offset += len;
      }
    }

    void run(IntList out) {
      int n = start.length;
      if (n == 0) return;
      for (int i = 1; i < n; i++) tryAddBigram(i - 1, i);
      while (!queue.isEmpty()) {
        Bigram b = queue.poll();
        // Stale entry: one side was merged away or grew since this pair was queued.
        if (length[b.left] == 0 || length[b.right] == 0 || length[b.left] + length[b.right] != b.length) continue;
        length[b.left] += length[b.right];
        length[b.right] = 0;
        next[b.left] = next[b.right];
        if (next[b.right] >= 0) prev[next[b.right]] = b.left;
        tryAddBigram(prev[b.left], b.left);
        tryAddBigram(b.left, next[b.left]);
      }
      for (int i = 0; i != -1; i = next[i]) emit(i, out);
    }

    private void tryAddBigram(int left, int right) {
      if (left < 0 || right < 0) return;
      int len = length[left] + length[right];
      int id = vocab.id(text.substring(start[left], start[left] + len));
      if (id < 0) return;
      queue.add(new Bigram(left, right, vocab.score(id), len));
    }

    private void emit(int symbol, IntList out) {
      String piece = text.substring(start[symbol], start[symbol] + length[symbol]);
      int id = vocab.id(piece);
      if (id >= 0) {
        out.add(id);
        return;
      }
      for (byte b : Utf8.bytes(piece)) {
        int byteToken = byteTokens[b & 0xFF];
        if (byteToken >= 0) out.add(byteToken); // no byte token and no <unk>: llama.cpp would fail here
      }
    }
  }
}
