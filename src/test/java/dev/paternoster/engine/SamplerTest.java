package dev.paternoster.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplerTest {
  private static final int V = FakeTokenizer.VOCAB;
  private final FakeTokenizer tokenizer = new FakeTokenizer();
  private final Sampler sampler = new Sampler(V, tokenizer);

  private Sequence seq(SamplingParams p, int... prompt) {
    int[] pr = prompt.length == 0 ? new int[] {FakeTokenizer.BOS} : prompt;
    return new RequestState(new GenerationRequest("s", pr, p), null, tokenizer, 4, 0, 1, 0, r -> {}).sequences[0];
  }

  private static float[] row(float base) {
    float[] r = new float[V];
    Arrays.fill(r, base);
    return r;
  }

  private int sample(Sequence s, float[] row) {
    return sampler.sample(s, row.clone(), 0).token();
  }

  @Test
  void greedyIsArgmaxWithTiesToTheLowestId() {
    float[] r = row(0);
    r[9] = 3;
    r[7] = 3;
    r[40] = 2.9f;
    assertThat(sample(seq(SamplingParams.greedy(5)), r)).isEqualTo(7);
    assertThat(Sampler.argmax(row(Float.NEGATIVE_INFINITY), 0, V)).isZero();
  }

  @Test
  void logitBiasMovesTheChoice() {
    float[] r = row(0);
    r[9] = 3;
    SamplingParams p = SamplingParams.builder().temperature(0).logitBias(Map.of(12, 5f)).build();
    assertThat(sample(seq(p), r)).isEqualTo(12);
  }

  @Test
  void minTokensMasksEndTokensAndStopIds() {
    float[] r = row(0);
    r[FakeTokenizer.EOS] = 9;
    r[FakeTokenizer.IM_END] = 8;
    r[20] = 7;
    r[30] = 6;
    SamplingParams p = SamplingParams.builder().temperature(0).minTokens(2).stopTokenIds(Set.of(20)).build();
    assertThat(sample(seq(p), r)).isEqualTo(30);
    Sequence done = seq(p);
    done.append(30);
    done.append(30);
    assertThat(sample(done, r)).isEqualTo(FakeTokenizer.EOS);
  }

  @Test
  void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokens() {
    float[] r = row(0);
    r[10] = 4;
    r[11] = -2;
    r[12] = 3;
    SamplingParams p = SamplingParams.builder().temperature(0).repetitionPenalty(2f).build();
    Sequence s = seq(p, 10, 11);
    s.append(10);
    float[] out = r.clone();
    sampler.sample(s, out, 0);
    assertThat(out[10]).isEqualTo(2f); // once, although seen twice
    assertThat(out[11]).isEqualTo(-4f);
    assertThat(out[12]).isEqualTo(3f);
  }

  @Test
  void presenceAndFrequencyPenaltiesCountOnlyOutputTokens() {
    float[] r = row(0);
    SamplingParams p = SamplingParams.builder().temperature(0).presencePenalty(0.5f).frequencyPenalty(0.25f).build();
    Sequence s = seq(p, 10, 11);
    s.append(11);
    s.append(11);
    s.append(12);
    float[] out = r.clone();
    sampler.sample(s, out, 0);
    assertThat(out[10]).isEqualTo(0f);
    assertThat(out[11]).isEqualTo(-0.5f - 0.5f);
    assertThat(out[12]).isEqualTo(-0.5f - 0.25f);
  }

  @Test
  void topK1TinyTopPAndMinP1AllReduceToTheBestToken() {
    float[] r = row(0);
    r[33] = 1.5f;
    r[34] = 1.4f;
    for (SamplingParams p : new SamplingParams[] {
        SamplingParams.builder().temperature(1).topK(1).seed(1L).build(),
        SamplingParams.builder().temperature(1).topP(0.01f).seed(2L).build(),
        SamplingParams.builder().temperature(1).minP(1f).seed(3L).build()}) {
      Sequence s = seq(p);
      for (int i = 0; i < 50; i++) assertThat(sample(s, r)).isEqualTo(33);
    }
  }

  @Test
  void topKAndTopPKeepExactlyTheirCandidates() {
    float[] r = row(Float.NEGATIVE_INFINITY);
    // probabilities 0.5, 0.3, 0.15, 0.05
    r[5] = (float) Math.log(0.5);
    r[6] = (float) Math.log(0.3);
    r[7] = (float) Math.log(0.15);
    r[8] = (float) Math.log(0.05);
    assertThat(counts(SamplingParams.builder().temperature(1).topK(3).seed(7L).build(), r, 3000).keySet()).containsExactlyInAnyOrder(5, 6, 7);
    assertThat(counts(SamplingParams.builder().temperature(1).topP(0.75f).seed(7L).build(), r, 3000).keySet()).containsExactlyInAnyOrder(5, 6);
    assertThat(counts(SamplingParams.builder().temperature(1).minP(0.2f).seed(7L).build(), r, 3000).keySet()).containsExactlyInAnyOrder(5, 6, 7);
    Map<Integer, Integer> all = counts(SamplingParams.builder().temperature(1).seed(7L).build(), r, 20000);
    assertThat(all.get(5) / 20000.0).isCloseTo(0.5, within(0.02));
    assertThat(all.get(8) / 20000.0).isCloseTo(0.05, within(0.01));
  }

  @Test
  void topPOverAFlatWideDistributionFindsTheNucleus() {
    float[] r = new float[V];
    for (int i = 0; i < V; i++) r[i] = -i * 0.05f;
    Map<Integer, Integer> c = counts(SamplingParams.builder().temperature(1).topP(0.5f).seed(3L).build(), r, 5000);
    // The nucleus is a prefix of ids (they are in decreasing probability); compute it directly.
    double total = 0;
    for (float v : r) total += Math.exp(v);
    double acc = 0;
    int size = 0;
    while (acc < 0.5 * total) acc += Math.exp(r[size++]);
    int nucleus = size;
    assertThat(c.keySet()).allMatch(id -> id < nucleus);
    assertThat(c).containsKey(nucleus - 1);
  }

  @Test
  void temperatureSharpensAndTheSeedFixesTheDraws() {
    float[] r = row(Float.NEGATIVE_INFINITY);
    r[20] = 0;
    r[21] = (float) Math.log(3);
    Map<Integer, Integer> t1 = counts(SamplingParams.builder().temperature(1).seed(11L).build(), r, 8000);
    assertThat(t1.get(21) / 8000.0).isCloseTo(0.75, within(0.03));
    Map<Integer, Integer> cold = counts(SamplingParams.builder().temperature(0.25f).seed(11L).build(), r, 8000);
    assertThat(cold.get(21) / 8000.0).isCloseTo(81.0 / 82.0, within(0.01));

    int[] a = draws(SamplingParams.builder().temperature(1).seed(42L).build(), row(0), 30);
    int[] b = draws(SamplingParams.builder().temperature(1).seed(42L).build(), row(0), 30);
    int[] c = draws(SamplingParams.builder().temperature(1).seed(43L).build(), row(0), 30);
    assertThat(a).containsExactly(b);
    assertThat(a).isNotEqualTo(c);
  }

  @Test
  void logprobsAreTheRawLogSoftmaxWithTopSortedBestFirst() {
    float[] r = new float[V];
    for (int i = 0; i < V; i++) r[i] = (i % 7) * 0.5f;
    SamplingParams p = SamplingParams.builder().temperature(0).logprobs(3).logitBias(Map.of(1, 50f)).build();
    Sample s = sampler.sample(seq(p), r.clone(), 0);
    assertThat(s.token()).isEqualTo(1); // chosen by the bias ...
    double lse = 0;
    for (float v : r) lse += Math.exp(v);
    lse = Math.log(lse);
    assertThat((double) s.logprob()).isCloseTo(r[1] - lse, within(1e-5)); // ... but its logprob is the raw one
    assertThat(s.top()).hasSize(3);
    assertThat(s.top()).extracting(TokenLogprob::tokenId).containsExactly(6, 13, 20); // ties: lower id first
    assertThat((double) s.top().get(0).logprob()).isCloseTo(3.0 - lse, within(1e-5));

    Sample none = sampler.sample(seq(SamplingParams.greedy(1).withLogprobs(0)), r.clone(), 0);
    assertThat(none.top()).isEmpty();
    assertThat(none.logprob()).isNotNaN();
    Sample off = sampler.sample(seq(SamplingParams.greedy(1)), r.clone(), 0);
    assertThat(off.top()).isNull();
    assertThat(off.logprob()).isNaN();
  }

  @Test
  void rankKeysOrderByValueDescendingThenIdAscending() {
    long[] keys = {
      RankKeys.key(-1f, 3), RankKeys.key(2f, 9), RankKeys.key(2f, 1), RankKeys.key(0f, 0), RankKeys.key(-0.5f, 2)
    };
    RankKeys.selectBest(keys, keys.length, 3);
    assertThat(RankKeys.id(keys[0])).isEqualTo(1);
    assertThat(RankKeys.id(keys[1])).isEqualTo(9);
    assertThat(RankKeys.id(keys[2])).isEqualTo(0);
    assertThat(RankKeys.value(keys[0])).isEqualTo(2f);
    assertThat(RankKeys.value(RankKeys.key(-0.5f, 2))).isEqualTo(-0.5f);
  }

  private Map<Integer, Integer> counts(SamplingParams p, float[] r, int n) {
    Map<Integer, Integer> c = new java.util.TreeMap<>();
    Sequence s = seq(p);
    for (int i = 0; i < n; i++) c.merge(sample(s, r), 1, Integer::sum);
    return c;
  }

  private int[] draws(SamplingParams p, float[] r, int n) {
    Sequence s = seq(p);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) out[i] = sample(s, r);
    return out;
  }
}
