package dev.paternoster.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE ({@code tokenizer.ggml.model = gpt2}: GPT-2, Llama 3, Qwen, DeepSeek, Falcon,
 * StarCoder...). The text is split into words by the {@link PreTokenizer}, each word's UTF-8 bytes
 * are written with the {@link ByteUnicode} characters, and adjacent symbols are merged by merge
 * rank (lowest first, leftmost on ties) until no listed merge applies, as llama.cpp does.
 *
 * <p>Words repeat a lot in real text, so their ids are cached; the cache is cleared when it gets
 * large rather than managed as an LRU, which keeps it lock-free and bounded.
 */
public final class BytePairTokenizer extends VocabularyTokenizer {
  private static final int CACHE_LIMIT = 65_536;

  private final PreTokenizer preTokenizer;
  /** Merge rank by "left right" (token texts never contain a space: it is written Ġ). */
  private final Map<String, Integer> mergeRanks;
  private final Map<String, int[]> wordCache = new ConcurrentHashMap<>();

  BytePairTokenizer(Vocabulary vocab, String[] merges, PreTokenizer preTokenizer) {
    super(vocab);
    this.preTokenizer = preTokenizer;
    this.mergeRanks = HashMap.newHashMap(merges.length);
    for (int rank = 0; rank < merges.length; rank++) {
      String m = merges[rank];
      // Split at the first space after the first character, as llama.cpp does.
      int space = m.indexOf(' ', 1);
      String key = space < 0 ? " " : m.substring(0, space) + ' ' + m.substring(space + 1);
      mergeRanks.putIfAbsent(key, rank);
    }
  }

  /** The name of the pre-tokenizer in use ({@code tokenizer.ggml.pre}). */
  public String preTokenizerName() {
    return preTokenizer.name();
  }

  @Override
  protected byte[] normalTokenBytes(String text) {
    byte[] out = new byte[text.length()];
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      int b = ByteUnicode.decode(text.charAt(i));
      if (b < 0) {
        // Not a byte-level character (an added token stored as NORMAL): keep its own UTF-8.
        return Utf8.bytes(text);
      }
      out[n++] = (byte) b;
    }
    return Arrays.copyOf(out, n);
  }

  @Override
  protected void encodeText(String text, boolean afterSpecial, IntList out) {
    for (String word : preTokenizer.split(text)) {
      String encoded = ByteUnicode.encode(Utf8.bytes(word));
      int[] ids = wordCache.get(encoded);
      if (ids == null) {
        ids = encodeWord(encoded);
        if (wordCache.size() >= CACHE_LIMIT) wordCache.clear();
        wordCache.put(encoded, ids);
      }
      out.addAll(ids);
    }
  }

  private int[] encodeWord(String word) {
    if (preTokenizer.ignoreMerges()) {
      int id = vocab.id(word);
      if (id >= 0) return new int[] {id};
    }
    return new Merge(word).run();
  }

  private record Bigram(int left, int right, int rank, int length) {}

  /** One merge run over one word; every symbol starts as one byte character. */
  private final class Merge {
    final String word;
    final int[] length; // 0 once merged into the left neighbour
    final int[] prev;
    final int[] next;
    final PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> {
      int c = Integer.compare(a.rank, b.rank); // lowest rank first
      return c != 0 ? c : Integer.compare(a.left, b.left); // then leftmost
    });

    Merge(String word) {
      this.word = word;
      int n = word.length();
      length = new int[n];
      prev = new int[n];
      next = new int[n];
      for (int i = 0; i < n; i++) {
        length[i] = 1;
        prev[i] = i - 1;
        next[i] = i + 1 < n ? i + 1 : -1;
      }
    }

    int[] run() {
      int n = word.length();
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
      IntList ids = new IntList(n);
      for (int i = 0; i != -1 && n > 0; i = next[i]) {
        // Symbols start where they were created: symbol i begins at character i.
        String symbol = word.substring(i, i + length[i]);
        int id = vocab.id(symbol);
        if (id >= 0) {
          ids.add(id);
        } else {
          // Only single ASCII characters can still be found (llama.cpp looks up each UTF-8 byte alone).
          for (int k = 0; k < symbol.length(); k++) {
            char c = symbol.charAt(k);
            int single = c < 0x80 ? vocab.id(String.valueOf(c)) : -1;
            if (single >= 0) ids.add(single);
          }
        }
      }
      return ids.toArray();
    }

    private void tryAddBigram(int left, int right) {
      if (left < 0 || right < 0) return;
      String key = word.substring(left, left + length[left]) + ' ' + word.substring(right, right + length[right]);
      Integer rank = mergeRanks.get(key);
      if (rank == null) return;
      queue.add(new Bigram(left, right, rank, length[left] + length[right]));
    }
  }
}
