package dev.paternoster.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Test helper: log-probabilities at each generated position of a fixed token sequence (teacher forcing). */
final class Teacher {
  private Teacher() {}

  /**
   * Evaluates {@code ids} (prompt of {@code promptLen} then {@code steps} generated tokens) in
   * chunks of {@code chunk} tokens and returns the log-softmax after the prompt and after each of
   * the first {@code steps - 1} generated tokens.
   */
  static List<double[]> logprobs(Model m, int[] ids, int promptLen, int steps, int chunk) {
    return logprobs(m, ids, promptLen, steps, chunk, KvCacheDtype.DEFAULT);
  }

  /** As {@link #logprobs(Model, int[], int, int, int)} with a KV cache of the given element type. */
  static List<double[]> logprobs(Model m, int[] ids, int promptLen, int steps, int chunk, KvCacheDtype dtype) {
    int vocab = m.config().vocabSize();
    int pages = (ids.length + GreedyRun.PAGE - 1) / GreedyRun.PAGE;
    int[] table = new int[pages];
    for (int i = 0; i < pages; i++) table[i] = (i * 7 + 3) % pages; // scattered pages
    if (pages > 1 && !isPermutation(table)) for (int i = 0; i < pages; i++) table[i] = pages - 1 - i;
    List<double[]> out = new ArrayList<>();
    try (KvCache kv = m.newKvCache(pages, GreedyRun.PAGE, dtype)) {
      float[] logits = new float[vocab * chunk];
      int done = 0;
      int end = promptLen + steps - 1;
      while (done < end) {
        int n = Math.min(chunk, end - done);
        int[] part = Arrays.copyOfRange(ids, done, done + n);
        int[] pos = new int[n];
        for (int i = 0; i < n; i++) pos[i] = done + i;
        // logits for every position at or after the last prompt token
        int first = Math.max(0, promptLen - 1 - done);
        int[] rows = new int[Math.max(0, n - first)];
        for (int i = 0; i < rows.length; i++) rows[i] = first + i;
        m.forward(new Batch(part, pos, new int[n], new int[][] {table}, rows, new int[] {promptLen}), kv, logits);
        for (int i = 0; i < rows.length; i++) {
          out.add(GreedyRun.logSoftmax(Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab)));
        }
        done += n;
      }
    }
    return out;
  }

  private static boolean isPermutation(int[] a) {
    boolean[] seen = new boolean[a.length];
    for (int x : a) {
      if (seen[x]) return false;
      seen[x] = true;
    }
    return true;
  }
}
