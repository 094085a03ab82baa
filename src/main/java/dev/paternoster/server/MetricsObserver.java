package dev.paternoster.server;

import dev.paternoster.engine.Choice;
import dev.paternoster.engine.EngineObserver;
import dev.paternoster.engine.EngineSnapshot;
import dev.paternoster.engine.GenerationResult;
import dev.paternoster.engine.RequestTimings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Engine metrics under vLLM's names with Paternoster's prefix ({@code paternoster:num_requests_running},
 * {@code paternoster:time_to_first_token_seconds}, ...), so dashboards built for vLLM work after a
 * prefix change. Every series carries {@code model_name}, as vLLM's do.
 *
 * <p>Gauges and totals are read from {@link EngineSnapshot} at scrape time; latency histograms are
 * fed from {@link #onRequestFinished} on the engine thread, which only does a few lock-free
 * increments per request. Prometheus allows ':' in metric names and Micrometer's Prometheus naming
 * keeps it; counters get {@code _total} and timers {@code _seconds} appended by Micrometer.
 */
public final class MetricsObserver implements EngineObserver {
  public static final String PREFIX = "paternoster:";

  // vLLM's bucket bounds (seconds), with finer low buckets: a small model on a CPU answers in milliseconds.
  static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
  static final double[] ITL_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};
  static final double[] REQUEST_BUCKETS = {0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
  static final double[] TOKEN_BUCKETS = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000};

  /** More inter-token samples than this per request are folded into one weighted record. */
  private static final int MAX_ITL_SAMPLES = 4096;

  private final MeterRegistry registry;
  private final Tags tags;
  /** Held strongly here: Micrometer keeps only weak references to a function meter's state object. */
  private final Supplier<EngineSnapshot> snapshot;
  private final Timer ttft;
  private final Timer itl;
  private final Timer queue;
  private final Timer e2e;
  private final DistributionSummary promptTokens;
  private final DistributionSummary generationTokens;

  public MetricsObserver(MeterRegistry registry, String modelName, Supplier<EngineSnapshot> snapshot) {
    this.registry = registry;
    this.tags = Tags.of("model_name", modelName);
    this.snapshot = snapshot;
    gauge("num_requests_running", "Requests running on the engine (admitted, not finished)", snapshot, s -> s.running());
    gauge("num_requests_waiting", "Requests waiting to be admitted (queued or preempted)", snapshot, s -> s.waiting());
    gauge("kv_cache_usage_perc", "KV cache usage, 0..1 (pages referenced by live sequences / all pages)", snapshot, EngineSnapshot::kvCacheUsage);
    gauge("kv_cache_pages_total", "KV cache pages", snapshot, s -> s.kvPagesTotal());
    gauge("kv_cache_pages_used", "KV cache pages referenced by live sequences", snapshot, s -> s.kvPagesUsed());
    gauge("kv_cache_pages_cached", "Free KV cache pages still holding a reusable prefix", snapshot, s -> s.kvPagesCached());
    gauge("kv_cache_pages_free", "Free KV cache pages holding nothing", snapshot, s -> s.kvPagesFree());
    total("prompt_tokens", "Prompt tokens of admitted requests", snapshot, s -> s.promptTokensTotal());
    total("generation_tokens", "Generated tokens", snapshot, s -> s.generationTokensTotal());
    total("num_preemptions", "Sequences preempted to free KV pages", snapshot, s -> s.preemptionsTotal());
    total("prefix_cache_queries", "Prompt tokens looked up in the prefix cache", snapshot, s -> s.prefixCacheQueriesTotal());
    total("prefix_cache_hits", "Prompt tokens found in the prefix cache", snapshot, s -> s.prefixCacheHitsTotal());
    total("engine_steps", "Engine steps (forward passes) run", snapshot, s -> s.steps());
    ttft = timer("time_to_first_token", "Time from arrival to the first generated token", TTFT_BUCKETS);
    itl = timer("inter_token_latency", "Time between consecutive tokens of a sequence", ITL_BUCKETS);
    queue = timer("request_queue_time", "Time from arrival until first scheduled", REQUEST_BUCKETS);
    e2e = timer("e2e_request_latency", "Time from arrival until finished", REQUEST_BUCKETS);
    promptTokens = summary("request_prompt_tokens", "Prompt length of finished requests");
    generationTokens = summary("request_generation_tokens", "Tokens generated per finished request");
  }

  @Override
  public void onRequestFinished(GenerationResult r) {
    RequestTimings t = r.timings();
    if (t != null) {
      record(ttft, t.ttftSeconds());
      record(queue, t.queueSeconds());
      record(e2e, t.e2eSeconds());
      if (Double.isFinite(t.meanInterTokenSeconds())) {
        // The engine reports the mean gap; one sample per gap keeps _count and _sum exact.
        int gaps = 0;
        for (Choice c : r.choices()) gaps += Math.max(0, c.tokenIds().length - 1);
        gaps = Math.min(gaps, MAX_ITL_SAMPLES);
        for (int i = 0; i < gaps; i++) record(itl, t.meanInterTokenSeconds());
      }
    }
    promptTokens.record(r.promptTokens());
    generationTokens.record(r.completionTokens());
    for (Choice c : r.choices()) {
      Counter.builder(PREFIX + "request_success")
          .description("Finished sequences by finish reason (stop, length, abort, error)")
          .tags(tags).tag("finished_reason", c.finishReason().openAiName())
          .register(registry).increment();
    }
  }

  private static void record(Timer timer, double seconds) {
    if (Double.isFinite(seconds) && seconds >= 0) timer.record((long) (seconds * 1e9), TimeUnit.NANOSECONDS);
  }

  private void gauge(String name, String help, Supplier<EngineSnapshot> s, ToDoubleFunction<EngineSnapshot> f) {
    Gauge.builder(PREFIX + name, this, o -> f.applyAsDouble(o.snapshot.get())).description(help).tags(tags).register(registry);
  }

  private void total(String name, String help, Supplier<EngineSnapshot> s, ToDoubleFunction<EngineSnapshot> f) {
    FunctionCounter.builder(PREFIX + name, this, o -> f.applyAsDouble(o.snapshot.get())).description(help).tags(tags).register(registry);
  }

  private Timer timer(String name, String help, double[] bucketsSeconds) {
    Duration[] slos = Arrays.stream(bucketsSeconds).mapToObj(b -> Duration.ofNanos((long) (b * 1e9))).toArray(Duration[]::new);
    return Timer.builder(PREFIX + name).description(help).tags(tags).serviceLevelObjectives(slos).register(registry);
  }

  private DistributionSummary summary(String name, String help) {
    return DistributionSummary.builder(PREFIX + name).description(help).tags(tags).serviceLevelObjectives(TOKEN_BUCKETS).register(registry);
  }
}
