package dev.paternoster.engine;

import dev.paternoster.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Picks the next token of a sequence from its logits row.
 *
 * <p>Order: raw log-probabilities are taken first (they describe the model), then logit bias,
 * min_tokens masking, penalties; greedy takes the argmax (ties: lowest id); otherwise temperature,
 * min-p, top-k, top-p, and one draw from the sequence's own random stream. Each sampled token uses
 * exactly one {@code nextDouble()}, so a seeded sequence samples the same tokens whatever the batch.
 *
 * <p>All scratch space is allocated once; the logits row is modified in place.
 */
final class Sampler {
  private final int vocab;
  private final int[] endTokens;
  private final Penalties penalties;
  private final float[] raw;
  private final int[] candIds;
  private final float[] candW;
  private final long[] keys;
  /** Probability mass per binary exponent, to find the top-p nucleus without sorting everything. */
  private final double[] massByExponent = new double[160];

  Sampler(int vocabSize, Tokenizer tokenizer) {
    this.vocab = vocabSize;
    List<Integer> ends = new ArrayList<>();
    for (int id = 0; id < vocabSize; id++) if (tokenizer.isEndOfGeneration(id)) ends.add(id);
    int eos = tokenizer.eosId();
    if (eos >= 0 && eos < vocabSize && !ends.contains(eos)) ends.add(eos);
    endTokens = ends.stream().mapToInt(Integer::intValue).toArray();
    penalties = new Penalties(vocabSize);
    raw = new float[vocabSize];
    candIds = new int[vocabSize];
    candW = new float[vocabSize];
    keys = new long[vocabSize];
  }

  Sample sample(Sequence s, float[] logits, int off) {
    SamplingParams p = s.request.params();
    Integer numLogprobs = p.logprobs();
    if (numLogprobs != null) System.arraycopy(logits, off, raw, 0, vocab);

    int[] biasIds = s.request.biasIds;
    float[] biasValues = s.request.biasValues;
    for (int i = 0; i < biasIds.length; i++) logits[off + biasIds[i]] += biasValues[i];
    if (s.numOutput() < p.minTokens()) {
      if (!p.ignoreEos()) for (int t : endTokens) logits[off + t] = Float.NEGATIVE_INFINITY;
      for (int t : p.stopTokenIds()) logits[off + t] = Float.NEGATIVE_INFINITY;
    }
    if (Penalties.isActive(p)) penalties.apply(p, s, logits, off);

    int token = p.isGreedy() ? argmax(logits, off, vocab) : draw(s, p, logits, off);

    if (numLogprobs == null) return new Sample(token, Float.NaN, null);
    double lse = logSumExp(raw, vocab);
    return new Sample(token, (float) (raw[token] - lse), top(numLogprobs, lse));
  }

  /** Highest logit; ties go to the lowest id so greedy output is unique. */
  static int argmax(float[] row, int off, int n) {
    int best = 0;
    float bestV = Float.NEGATIVE_INFINITY;
    boolean found = false;
    for (int i = 0; i < n; i++) {
      float v = row[off + i];
      if (v > bestV || (!found && v == bestV)) {
        best = i;
        bestV = v;
        found = true;
      }
    }
    return best;
  }

  private int draw(Sequence s, SamplingParams p, float[] row, int off) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) if (row[off + i] > max) max = row[off + i];
    if (max == Float.NEGATIVE_INFINITY) return argmax(row, off, vocab);

    // Weights relative to the best token (best = 1), after temperature; min-p is then a plain threshold.
    double invT = 1.0 / p.temperature();
    float minW = p.minP();
    int n = 0;
    for (int i = 0; i < vocab; i++) {
      float l = row[off + i];
      if (!(l > Float.NEGATIVE_INFINITY)) continue;
      float w = (float) Math.exp((l - max) * invT);
      if (w == 0f || w < minW) continue;
      candIds[n] = i;
      candW[n] = w;
      n++;
    }
    boolean sorted = false;
    int k = p.topK();
    if (k > 0 && k < n) {
      for (int i = 0; i < n; i++) keys[i] = RankKeys.key(candW[i], candIds[i]);
      RankKeys.selectBest(keys, n, k);
      n = unpack(k);
      sorted = true;
    }
    if (p.topP() < 1f) n = nucleus(n, p.topP(), sorted);

    double total = 0;
    for (int i = 0; i < n; i++) total += candW[i];
    double u = s.rng.nextDouble() * total;
    double acc = 0;
    for (int i = 0; i < n; i++) {
      acc += candW[i];
      if (u < acc) return candIds[i];
    }
    return candIds[n - 1];
  }

  /** Keeps the smallest set of most likely candidates whose mass reaches {@code topP}. */
  private int nucleus(int n, float topP, boolean sorted) {
    double total = 0;
    for (int i = 0; i < n; i++) total += candW[i];
    double target = topP * total;
    if (!sorted) {
      // Find a power-of-two threshold whose heavier tokens already reach the target mass: the
      // nucleus lies among them, so only they need sorting (usually a few dozen, not the vocabulary).
      java.util.Arrays.fill(massByExponent, 0);
      for (int i = 0; i < n; i++) massByExponent[bucket(candW[i])] += candW[i];
      int cut = massByExponent.length - 1;
      double acc = 0;
      for (int b = 0; b < massByExponent.length; b++) {
        acc += massByExponent[b];
        if (acc >= target) {
          cut = b;
          break;
        }
      }
      int m = 0;
      for (int i = 0; i < n; i++) if (bucket(candW[i]) <= cut) keys[m++] = RankKeys.key(candW[i], candIds[i]);
      java.util.Arrays.sort(keys, 0, m);
      n = unpack(m);
    }
    double acc = 0;
    for (int i = 0; i < n; i++) {
      acc += candW[i];
      if (acc >= target) return i + 1;
    }
    return n;
  }

  /** Weights are in (0, 1]: bucket 0 holds [1, 2), bucket b holds [2^-b, 2^-b+1). */
  private int bucket(float w) {
    return Math.min(massByExponent.length - 1, -Math.getExponent(w));
  }

  private int unpack(int m) {
    for (int i = 0; i < m; i++) {
      candIds[i] = RankKeys.id(keys[i]);
      candW[i] = RankKeys.value(keys[i]);
    }
    return m;
  }

  private List<TokenLogprob> top(int k, double lse) {
    if (k == 0) return List.of();
    int n = 0;
    for (int i = 0; i < vocab; i++) if (!Float.isNaN(raw[i])) keys[n++] = RankKeys.key(raw[i], i);
    k = Math.min(k, n);
    RankKeys.selectBest(keys, n, k);
    List<TokenLogprob> out = new ArrayList<>(k);
    for (int i = 0; i < k; i++) out.add(new TokenLogprob(RankKeys.id(keys[i]), (float) (RankKeys.value(keys[i]) - lse)));
    return out;
  }

  static double logSumExp(float[] row, int n) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) if (row[i] > max) max = row[i];
    if (max == Float.NEGATIVE_INFINITY) return max;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += Math.exp(row[i] - max);
    return max + Math.log(sum);
  }
}
