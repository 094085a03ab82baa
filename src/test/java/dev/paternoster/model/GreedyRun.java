package dev.paternoster.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Test helper: greedy generation straight on a {@link Model}, one sequence, recording log-softmax per step. */
final class GreedyRun {
  record Step(int id, double[] logprobs) {}

  static final int PAGE = 16;

  /** Runs the prompt in chunks of {@code chunk} tokens, then {@code steps} greedy decode steps. */
  static List<Step> run(Model m, int[] prompt, int steps, int chunk, int[] banned) {
    return run(m, prompt, steps, chunk, banned, KvCacheDtype.DEFAULT);
  }

  /** As {@link #run(Model, int[], int, int, int[])} with a KV cache of the given element type. */
  static List<Step> run(Model m, int[] prompt, int steps, int chunk, int[] banned, KvCacheDtype dtype) {
    int vocab = m.config().vocabSize();
    int total = prompt.length + steps;
    int pages = (total + PAGE - 1) / PAGE;
    int[] table = new int[pages];
    // scatter the pages so that a bug in block-table handling shows up
    for (int i = 0; i < pages; i++) table[i] = pages - 1 - i;
    try (KvCache kv = m.newKvCache(pages, PAGE, dtype)) {
      float[] logits = new float[vocab];
      int done = 0;
      while (done < prompt.length) {
        int n = Math.min(chunk, prompt.length - done);
        m.forward(Batch.single(Arrays.copyOfRange(prompt, done, done + n), done, table, prompt.length), kv, logits);
        done += n;
      }
      List<Step> out = new ArrayList<>();
      for (int s = 0; s < steps; s++) {
        double[] lp = logSoftmax(logits);
        int best = argmax(lp, banned);
        out.add(new Step(best, lp));
        if (s + 1 < steps) m.forward(Batch.single(new int[] {best}, prompt.length + s, table, prompt.length), kv, logits);
      }
      return out;
    }
  }

  /** The most likely id outside {@code banned} (ties: the lowest id). */
  static int argmax(double[] lp, int[] banned) {
    int best = -1;
    for (int i = 0; i < lp.length; i++) {
      if (isBanned(i, banned)) continue;
      if (best < 0 || lp[i] > lp[best]) best = i;
    }
    return best;
  }

  static boolean isBanned(int id, int[] banned) {
    for (int b : banned) if (b == id) return true;
    return false;
  }

  static double[] logSoftmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float f : logits) max = Math.max(max, f);
    double sum = 0;
    for (float f : logits) sum += Math.exp(f - max);
    double lse = max + Math.log(sum);
    double[] out = new double[logits.length];
    for (int i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
    return out;
  }
}
