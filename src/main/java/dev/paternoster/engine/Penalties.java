package dev.paternoster.engine;

import java.util.Arrays;

/**
 * Repetition (over prompt and output, HF/vLLM style), presence and frequency (over output, OpenAI
 * style) penalties, applied in place to one logits row.
 */
final class Penalties {
  /** Stamp per token id: "seen in this pass" without clearing a vocabulary-sized array every time. */
  private final int[] mark;

  private int stamp;

  Penalties(int vocabSize) {
    mark = new int[vocabSize];
  }

  static boolean isActive(SamplingParams p) {
    return p.repetitionPenalty() != 1f || p.presencePenalty() != 0f || p.frequencyPenalty() != 0f;
  }

  void apply(SamplingParams p, Sequence s, float[] row, int off) {
    float rep = p.repetitionPenalty();
    if (rep != 1f) {
      int st = nextStamp();
      for (int i = 0; i < s.numTokens; i++) {
        int t = s.tokens[i];
        if (mark[t] == st) continue;
        mark[t] = st;
        float v = row[off + t];
        // Dividing a negative logit would raise it: multiply instead, so the penalty always lowers.
        row[off + t] = v > 0 ? v / rep : v * rep;
      }
    }
    float presence = p.presencePenalty();
    float frequency = p.frequencyPenalty();
    if (presence != 0f || frequency != 0f) {
      int st = nextStamp();
      for (int i = s.promptLen; i < s.numTokens; i++) {
        int t = s.tokens[i];
        row[off + t] -= frequency;
        if (mark[t] != st) {
          mark[t] = st;
          row[off + t] -= presence;
        }
      }
    }
  }

  private int nextStamp() {
    if (++stamp == 0) {
      Arrays.fill(mark, 0);
      stamp = 1;
    }
    return stamp;
  }
}
