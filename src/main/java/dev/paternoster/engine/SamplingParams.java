package dev.paternoster.engine;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How to pick each next token and when to stop: the OpenAI/vLLM sampling parameters.
 *
 * <p>The order of operations on a logits row is: logit bias, {@code min_tokens} (end tokens masked),
 * repetition/presence/frequency penalties, then greedy argmax when {@code temperature == 0}, else
 * temperature, top-k, top-p, min-p and a draw from the request's own random stream. The random stream
 * depends only on {@link #seed} and the choice index, so a seeded request gives the same output
 * whatever else shares its batch.
 *
 * @param maxTokens most tokens to generate per choice ({@code max_tokens}), at least 1
 * @param temperature 0 = greedy (argmax, ties to the lowest id); otherwise logits are divided by it
 * @param topK keep the k most likely tokens; 0 or -1 = off
 * @param topP keep the smallest set of most likely tokens whose mass reaches top_p; 1 = off
 * @param minP drop tokens less likely than min_p times the most likely one; 0 = off
 * @param repetitionPenalty > 1 discourages tokens seen in prompt or output (logit / p if positive,
 *     logit * p if negative); 1 = off
 * @param presencePenalty subtracted once from the logit of every token already generated
 * @param frequencyPenalty subtracted per occurrence of a token already generated
 * @param seed random seed; null = a fresh random stream
 * @param stop strings that end a choice; they are not part of the output text
 * @param stopTokenIds token ids that end a choice (in addition to end-of-generation tokens)
 * @param ignoreEos keep generating through end-of-generation tokens (benchmarks)
 * @param minTokens generate at least this many tokens before any stop condition applies
 * @param logprobs null = no log-probabilities; k = the chosen token's plus the top k (0..20)
 * @param n number of independent choices for the one prompt (1..128)
 * @param logitBias added to the logits of the given token ids (-100..100)
 */
public record SamplingParams(
    int maxTokens,
    float temperature,
    int topK,
    float topP,
    float minP,
    float repetitionPenalty,
    float presencePenalty,
    float frequencyPenalty,
    Long seed,
    List<String> stop,
    Set<Integer> stopTokenIds,
    boolean ignoreEos,
    int minTokens,
    Integer logprobs,
    int n,
    Map<Integer, Float> logitBias) {

  /** Upper bound of {@link #logprobs}, as OpenAI's {@code top_logprobs} and vLLM's default. */
  public static final int MAX_LOGPROBS = 20;

  /** Upper bound of {@link #n}, as OpenAI. */
  public static final int MAX_N = 128;

  private static final SamplingParams DEFAULTS = new Builder().build();

  /** Null collections become empty; collections are copied (immutable, insertion order kept). */
  public SamplingParams {
    stop = stop == null ? List.of() : Collections.unmodifiableList(new java.util.ArrayList<>(stop));
    stopTokenIds =
        stopTokenIds == null ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(stopTokenIds));
    logitBias = logitBias == null ? Map.of() : Collections.unmodifiableMap(new HashMap<>(logitBias));
  }

  /** vLLM's defaults: max_tokens 16, temperature 1, everything else off, n 1. */
  public static SamplingParams defaults() {
    return DEFAULTS;
  }

  /** Greedy decoding (temperature 0) of up to {@code maxTokens} tokens. */
  public static SamplingParams greedy(int maxTokens) {
    return builder().temperature(0).maxTokens(maxTokens).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  public SamplingParams withMaxTokens(int v) {
    return toBuilder().maxTokens(v).build();
  }

  public SamplingParams withTemperature(float v) {
    return toBuilder().temperature(v).build();
  }

  public SamplingParams withSeed(Long v) {
    return toBuilder().seed(v).build();
  }

  public SamplingParams withStop(List<String> v) {
    return toBuilder().stop(v).build();
  }

  public SamplingParams withN(int v) {
    return toBuilder().n(v).build();
  }

  public SamplingParams withLogprobs(Integer v) {
    return toBuilder().logprobs(v).build();
  }

  /** True when {@code temperature == 0}. */
  public boolean isGreedy() {
    return temperature == 0f;
  }

  /**
   * Checks every parameter against its range.
   *
   * @throws InvalidRequestException naming the first bad parameter, e.g. {@code "top_p must be in
   *     (0, 1], got 1.5"}
   */
  public void validate(int vocabSize) {
    if (maxTokens < 1) fail("max_tokens", "max_tokens must be at least 1, got " + maxTokens);
    if (!Float.isFinite(temperature) || temperature < 0) {
      fail("temperature", "temperature must be non-negative, got " + temperature);
    }
    if (topK < -1) fail("top_k", "top_k must be -1 or 0 (disable), or at least 1, got " + topK);
    if (!(topP > 0 && topP <= 1)) fail("top_p", "top_p must be in (0, 1], got " + topP);
    if (!(minP >= 0 && minP <= 1)) fail("min_p", "min_p must be in [0, 1], got " + minP);
    if (!(repetitionPenalty > 0 && Float.isFinite(repetitionPenalty))) {
      fail("repetition_penalty", "repetition_penalty must be greater than 0, got " + repetitionPenalty);
    }
    if (!(presencePenalty >= -2 && presencePenalty <= 2)) {
      fail("presence_penalty", "presence_penalty must be in [-2, 2], got " + presencePenalty);
    }
    if (!(frequencyPenalty >= -2 && frequencyPenalty <= 2)) {
      fail("frequency_penalty", "frequency_penalty must be in [-2, 2], got " + frequencyPenalty);
    }
    if (minTokens < 0) fail("min_tokens", "min_tokens must be non-negative, got " + minTokens);
    if (minTokens > maxTokens) {
      fail(
          "min_tokens",
          "min_tokens must be less than or equal to max_tokens=" + maxTokens + ", got " + minTokens);
    }
    if (logprobs != null && (logprobs < 0 || logprobs > MAX_LOGPROBS)) {
      fail("logprobs", "logprobs must be in [0, " + MAX_LOGPROBS + "], got " + logprobs);
    }
    if (n < 1 || n > MAX_N) fail("n", "n must be in [1, " + MAX_N + "], got " + n);
    for (String s : stop) {
      if (s == null || s.isEmpty()) fail("stop", "stop must not contain empty strings");
    }
    for (Integer id : stopTokenIds) {
      if (id == null || id < 0 || id >= vocabSize) {
        fail("stop_token_ids", "stop_token_ids contains " + id + ", outside the vocabulary [0, " + vocabSize + ")");
      }
    }
    for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
      Integer id = e.getKey();
      if (id == null || id < 0 || id >= vocabSize) {
        fail("logit_bias", "logit_bias has token id " + id + ", outside the vocabulary [0, " + vocabSize + ")");
      }
      Float v = e.getValue();
      if (v == null || !(v >= -100 && v <= 100)) {
        fail("logit_bias", "logit_bias values must be in [-100, 100], got " + v + " for token " + id);
      }
    }
  }

  private static void fail(String param, String message) {
    throw new InvalidRequestException(param, message);
  }

  /** Mutable builder, starting from {@link #defaults()} (or from an existing instance). */
  public static final class Builder {
    private int maxTokens = 16;
    private float temperature = 1f;
    private int topK = 0;
    private float topP = 1f;
    private float minP = 0f;
    private float repetitionPenalty = 1f;
    private float presencePenalty = 0f;
    private float frequencyPenalty = 0f;
    private Long seed;
    private List<String> stop = List.of();
    private Set<Integer> stopTokenIds = Set.of();
    private boolean ignoreEos;
    private int minTokens;
    private Integer logprobs;
    private int n = 1;
    private Map<Integer, Float> logitBias = Map.of();

    private Builder() {}

    private Builder(SamplingParams p) {
      maxTokens = p.maxTokens;
      temperature = p.temperature;
      topK = p.topK;
      topP = p.topP;
      minP = p.minP;
      repetitionPenalty = p.repetitionPenalty;
      presencePenalty = p.presencePenalty;
      frequencyPenalty = p.frequencyPenalty;
      seed = p.seed;
      stop = p.stop;
      stopTokenIds = p.stopTokenIds;
      ignoreEos = p.ignoreEos;
      minTokens = p.minTokens;
      logprobs = p.logprobs;
      n = p.n;
      logitBias = p.logitBias;
    }

    public Builder maxTokens(int v) { maxTokens = v; return this; }
    public Builder temperature(float v) { temperature = v; return this; }
    public Builder topK(int v) { topK = v; return this; }
    public Builder topP(float v) { topP = v; return this; }
    public Builder minP(float v) { minP = v; return this; }
    public Builder repetitionPenalty(float v) { repetitionPenalty = v; return this; }
    public Builder presencePenalty(float v) { presencePenalty = v; return this; }
    public Builder frequencyPenalty(float v) { frequencyPenalty = v; return this; }
    public Builder seed(Long v) { seed = v; return this; }
    public Builder stop(List<String> v) { stop = v; return this; }
    public Builder stop(String... v) { stop = java.util.Arrays.asList(v); return this; }
    public Builder stopTokenIds(Set<Integer> v) { stopTokenIds = v; return this; }
    public Builder ignoreEos(boolean v) { ignoreEos = v; return this; }
    public Builder minTokens(int v) { minTokens = v; return this; }
    public Builder logprobs(Integer v) { logprobs = v; return this; }
    public Builder n(int v) { n = v; return this; }
    public Builder logitBias(Map<Integer, Float> v) { logitBias = v; return this; }

    public SamplingParams build() {
      return new SamplingParams(
          maxTokens, temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
          frequencyPenalty, seed, stop, stopTokenIds, ignoreEos, minTokens, logprobs, n, logitBias);
    }
  }
}
