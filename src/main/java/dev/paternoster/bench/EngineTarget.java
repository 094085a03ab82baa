package dev.paternoster.bench;

import dev.paternoster.engine.Engine;
import dev.paternoster.engine.EngineClosedException;
import dev.paternoster.engine.EngineConfig;
import dev.paternoster.engine.EngineObserver;
import dev.paternoster.engine.EngineSnapshot;
import dev.paternoster.engine.FinishReason;
import dev.paternoster.engine.GenerationRequest;
import dev.paternoster.engine.GenerationResult;
import dev.paternoster.engine.InvalidRequestException;
import dev.paternoster.engine.QueueFullException;
import dev.paternoster.engine.RequestHandle;
import dev.paternoster.engine.SamplingParams;
import dev.paternoster.engine.StepStats;
import dev.paternoster.model.Model;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The engine in this JVM: no HTTP, no JSON, so what is measured is scheduling and the model. The
 * model belongs to the caller (several engines, e.g. static then continuous, can share one).
 */
public final class EngineTarget implements Target {
  private static final AtomicLong IDS = new AtomicLong();

  private final Model model;
  private final Engine engine;
  private final Map<Integer, Float> logitBias;
  private final StepCounter steps = new StepCounter();

  /**
   * @param logitBias added to every request's sampling (the same byte-token bias the HTTP target
   *     sends, so both do the same sampling work)
   */
  public EngineTarget(Model model, EngineConfig config, Map<Integer, Float> logitBias) {
    this.model = model;
    this.engine = Engine.start(model, config);
    this.logitBias = Map.copyOf(logitBias);
    engine.addObserver(steps);
  }

  public Engine engine() {
    return engine;
  }

  @Override
  public String describe() {
    EngineConfig c = engine.config();
    return "in-process engine, " + c.mode().name().toLowerCase() + " batching"
        + (c.mode() == EngineConfig.Mode.STATIC ? " (batch " + c.maxBatchSize() + ")" : " (max " + c.maxNumSeqs() + " seqs)");
  }

  @Override
  public RequestRecord send(RequestSpec request) {
    RequestRecord.Recorder recorder = new RequestRecord.Recorder(request);
    SamplingParams params = SamplingParams.builder()
        .temperature(0).maxTokens(request.outputTokens()).ignoreEos(true).logitBias(logitBias).build();
    GenerationRequest r = new GenerationRequest("bench-" + IDS.incrementAndGet(), request.promptIds(), params);
    recorder.sent();
    RequestHandle handle;
    try {
      // The listener runs on the engine thread: it only stamps the time.
      handle = engine.submit(r, event -> {
        if (event.tokenId() >= 0) recorder.chunk();
      });
    } catch (QueueFullException | InvalidRequestException | EngineClosedException e) {
      return recorder.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    GenerationResult result = handle.result().join();
    FinishReason reason = result.choice().finishReason();
    if (reason == FinishReason.ERROR || reason == FinishReason.ABORT) {
      return recorder.fail("finish_reason " + reason.openAiName()
          + (result.choice().stopReason() != null ? ": " + result.choice().stopReason() : ""));
    }
    return recorder.finish(result.completionTokens());
  }

  @Override
  public TargetSample sample() {
    EngineSnapshot s = engine.snapshot();
    return new TargetSample(System.nanoTime(), s.running(), s.waiting(), s.kvCacheUsage(), s.preemptionsTotal());
  }

  @Override
  public int maxModelLen() {
    return engine.maxModelLen();
  }

  @Override
  public Map<String, Object> info() {
    EngineConfig c = engine.config();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", "engine");
    m.put("model", model.config().name());
    m.put("architecture", model.config().architecture());
    m.put("batching", c.mode().name().toLowerCase());
    m.put("max_num_seqs", c.maxNumSeqs());
    m.put("max_num_batched_tokens", c.maxNumBatchedTokens());
    m.put("max_batch_size", c.maxBatchSize());
    m.put("max_wait_ms", c.maxWait().toNanos() / 1e6);
    m.put("kv_capacity_tokens", engine.capacityTokens());
    m.put("max_model_len", engine.maxModelLen());
    m.put("steps", steps.steps.sum());
    m.put("mean_batch_tokens", steps.meanBatchTokens());
    m.put("peak_kv_pages_used", steps.peakPagesUsed.get());
    return m;
  }

  @Override
  public void close() {
    engine.close();
  }

  /** Counts steps and batch sizes; runs on the engine thread, so it only adds numbers. */
  private static final class StepCounter implements EngineObserver {
    final LongAdder steps = new LongAdder();
    final LongAdder batchTokens = new LongAdder();
    final AtomicLong peakPagesUsed = new AtomicLong();

    @Override
    public void onStep(StepStats s) {
      steps.increment();
      batchTokens.add(s.batchTokens());
      peakPagesUsed.accumulateAndGet(s.kvPagesUsed(), Math::max);
    }

    double meanBatchTokens() {
      long n = steps.sum();
      return n == 0 ? 0 : (double) batchTokens.sum() / n;
    }
  }
}
