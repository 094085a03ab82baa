package dev.paternoster.bench;

import dev.paternoster.engine.Engine;
import dev.paternoster.engine.EngineConfig;
import dev.paternoster.model.KvCacheDtype;
import dev.paternoster.engine.EngineObserver;
import dev.paternoster.engine.GenerationRequest;
import dev.paternoster.engine.RequestHandle;
import dev.paternoster.engine.SamplingParams;
import dev.paternoster.engine.StepStats;
import dev.paternoster.model.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-process mirror of llama.cpp's {@code llama-batched-bench}: N sequences of P prompt tokens
 * each start together and generate G tokens each. It answers "how fast is one engine step at batch
 * size N", the number continuous batching exists to raise.
 *
 * <p>Times come from the engine's own step timings ({@link StepStats#wallNanos()}): steps that
 * carry any prompt tokens count as prefill (with chunked prefill a few early decode tokens ride
 * along in them); steps with only decode tokens count as decode, and decode tok/s is their tokens
 * over their time, llama-batched-bench's S_TG. Unlike llama-batched-bench, each step also samples
 * (greedy over the vocabulary) and streams, since that is what serving costs.
 */
public final class BatchedBench {

  /**
   * One configuration's measurement.
   *
   * @param prefillSeconds wall time of the steps that carried prompt tokens
   * @param decodeSeconds wall time of the decode-only steps
   * @param totalSeconds first submit to last completion
   * @param decodeSteps decode-only steps
   * @param decodeTokens tokens of the decode-only steps
   */
  public record Result(int sequences, int promptTokens, int genTokens, double prefillSeconds,
      double decodeSeconds, double totalSeconds, long decodeSteps, long decodeTokens) {

    /** Prompt tokens of all sequences over prefill time (llama-batched-bench's S_PP). */
    public double prefillTokensPerSecond() {
      return (double) sequences * promptTokens / prefillSeconds;
    }

    /** Aggregate decode speed over all sequences (llama-batched-bench's S_TG). */
    public double decodeTokensPerSecond() {
      return decodeTokens / decodeSeconds;
    }

    /** All prompt and generated tokens over the total time (llama-batched-bench's S). */
    public double totalTokensPerSecond() {
      return (double) sequences * (promptTokens + genTokens) / totalSeconds;
    }
  }

  private final Model model;
  private final TokenPool tokens;
  private final Map<Integer, Float> logitBias;
  private final int pageSize;
  private final KvCacheDtype kvCacheDtype;

  public BatchedBench(Model model, TokenPool tokens, Map<Integer, Float> logitBias, int pageSize) {
    this(model, tokens, logitBias, pageSize, KvCacheDtype.DEFAULT);
  }

  public BatchedBench(Model model, TokenPool tokens, Map<Integer, Float> logitBias, int pageSize, KvCacheDtype kvCacheDtype) {
    this.model = model;
    this.tokens = tokens;
    this.logitBias = Map.copyOf(logitBias);
    this.pageSize = pageSize;
    this.kvCacheDtype = kvCacheDtype;
  }

  /** Runs N sequences of P prompt tokens generating G tokens each, in one engine sized for exactly that. */
  public Result run(int sequences, int promptTokens, int genTokens, long seed) {
    int perSequence = promptTokens + genTokens;
    if (perSequence > model.config().contextLength()) {
      throw new IllegalArgumentException("prompt + output (" + perSequence + ") exceeds the model's context of "
          + model.config().contextLength());
    }
    // Exactly enough KV pages (plus one spare per sequence): no preemption can blur the timing.
    int pages = sequences * ((perSequence + pageSize - 1) / pageSize + 1);
    EngineConfig config = EngineConfig.builder()
        .pageSize(pageSize).numPages(pages).maxNumSeqs(sequences).kvCacheDtype(kvCacheDtype)
        .maxNumBatchedTokens(model.maxBatchTokens()).enablePrefixCaching(false)
        .maxModelLen(perSequence).maxQueuedRequests(Math.max(1, sequences))
        // Start together, as llama-batched-bench does: the idle engine holds the first arrival
        // until all N are queued (or a step's token budget is full), instead of racing the
        // submit loop and running the first prompt alone.
        .maxWait(java.time.Duration.ofSeconds(2)).build();
    Workload prompts = new Workload(null, 1, sequences, Double.POSITIVE_INFINITY,
        new LengthDistribution.Fixed(promptTokens), new LengthDistribution.Fixed(genTokens), 0, tokens, seed);
    SamplingParams params = SamplingParams.builder()
        .temperature(0).maxTokens(genTokens).ignoreEos(true).logitBias(logitBias).build();
    StepTimer timer = new StepTimer();
    try (Engine engine = Engine.start(model, config)) {
      engine.addObserver(timer);
      List<RequestHandle> handles = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < sequences; i++) {
        handles.add(engine.submit(new GenerationRequest("batched-" + seed + "-" + i,
            prompts.request(i, 0).promptIds(), params), event -> {}));
      }
      handles.forEach(h -> h.result().join());
      long total = System.nanoTime() - start;
      return new Result(sequences, promptTokens, genTokens, timer.prefillNanos.get() / 1e9,
          timer.decodeNanos.get() / 1e9, total / 1e9, timer.decodeSteps.get(), timer.decodeTokens.get());
    }
  }

  /** Splits step time into prefill-carrying and decode-only steps (engine thread: just adds). */
  private static final class StepTimer implements EngineObserver {
    final AtomicLong prefillNanos = new AtomicLong(), decodeNanos = new AtomicLong();
    final AtomicLong decodeSteps = new AtomicLong(), decodeTokens = new AtomicLong();

    @Override
    public void onStep(StepStats s) {
      if (s.prefillTokens() > 0) {
        prefillNanos.addAndGet(s.wallNanos());
      } else if (s.decodeTokens() > 0) {
        decodeNanos.addAndGet(s.wallNanos());
        decodeSteps.incrementAndGet();
        decodeTokens.addAndGet(s.decodeTokens());
      }
    }
  }
}
