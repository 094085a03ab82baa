package dev.paternoster.batch;

import static dev.paternoster.batch.Futures.resultOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** BatcherStats snapshots and the Micrometer meters, with exact durations from the manual clock. */
class MetricsTest {

  private final ManualClock clock = new ManualClock();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  /** The function takes 3 ms of manual time per call. */
  private final RecordingFunction<String, String> function =
      new RecordingFunction<>(String::toUpperCase);

  private final DynamicBatcher<String, String> batcher =
      DynamicBatcher.<String, String>builder(inputs -> {
            clock.advance(Duration.ofMillis(3));
            return function.apply(inputs);
          })
          .name("classifier")
          .config(BatcherConfig.builder().maxBatchSize(4).maxWait(Duration.ofMillis(10)).build())
          .clock(clock)
          .meterRegistry(registry)
          .start();

  @Test
  void statsCountBatchSizesQueueWaitAndBatchLatency() throws Exception {
    BatcherStats empty = batcher.stats();
    assertThat(empty.batches()).isZero();
    assertThat(empty.meanBatchSize()).isZero();
    assertThat(empty.queueWait()).isEqualTo(LatencySummary.EMPTY);

    runTwoBatches();
    batcher.close();
    BatcherStats stats = batcher.stats();

    assertThat(stats.submitted()).isEqualTo(6);
    assertThat(stats.completed()).isEqualTo(6);
    assertThat(stats.failed()).isZero();
    assertThat(stats.cancelled()).isZero();
    assertThat(stats.queued()).isZero();
    assertThat(stats.activeBatches()).isZero();
    assertThat(stats.batches()).isEqualTo(2);
    assertThat(stats.meanBatchSize()).isEqualTo(3.0);
    assertThat(stats.largestBatchSize()).isEqualTo(4);
    assertThat(stats.batchSizeHistogram()).containsExactly(Map.entry(2, 1L), Map.entry(4, 1L));

    // waits: a 10 ms, b 6 ms, c..f 0 ms (a full batch leaves at once)
    LatencySummary wait = stats.queueWait();
    assertThat(wait.count()).isEqualTo(6);
    assertThat(wait.max()).isEqualTo(Duration.ofMillis(10));
    assertThat(wait.mean()).isEqualTo(Duration.ofNanos(16_000_000 / 6));
    assertThat(wait.p50()).isZero();
    assertThat(wait.p99()).isEqualTo(Duration.ofMillis(10));

    LatencySummary latency = stats.batchLatency();
    assertThat(latency.count()).isEqualTo(2);
    assertThat(latency.mean()).isEqualTo(Duration.ofMillis(3));
    assertThat(latency.max()).isEqualTo(Duration.ofMillis(3));
    assertThat(latency.p50()).isEqualTo(Duration.ofMillis(3));
  }

  @Test
  void micrometerRegistryGetsTheSameNumbers() throws Exception {
    runTwoBatches();
    batcher.close();

    var size =
        registry.get("paternoster.batcher.batch.size").tag("batcher", "classifier").summary();
    assertThat(size.count()).isEqualTo(2);
    assertThat(size.totalAmount()).isEqualTo(6.0);
    assertThat(size.max()).isEqualTo(4.0);

    var wait = registry.get("paternoster.batcher.queue.wait").timer();
    assertThat(wait.count()).isEqualTo(6);
    assertThat(wait.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(16.0);
    assertThat(wait.max(TimeUnit.MILLISECONDS)).isEqualTo(10.0);

    var latency = registry.get("paternoster.batcher.batch.latency").timer();
    assertThat(latency.count()).isEqualTo(2);
    assertThat(latency.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(6.0);

    assertThat(counter("paternoster.batcher.requests", "completed")).isEqualTo(6.0);
    assertThat(counter("paternoster.batcher.batches", "succeeded")).isEqualTo(2.0);
    assertThat(registry.get("paternoster.batcher.queue.size").gauge().value()).isZero();
    assertThat(registry.get("paternoster.batcher.batches.active").gauge().value()).isZero();
  }

  @Test
  void gaugesShowQueuedRequests() {
    batcher.submit("a");
    batcher.submit("b");
    assertThat(registry.get("paternoster.batcher.queue.size").gauge().value()).isEqualTo(2.0);
    batcher.close();
  }

  private double counter(String name, String outcome) {
    return registry.get(name).tag("outcome", outcome).counter().count();
  }

  /** [a, b] leaves by deadline at 10 ms (a waited 10, b 6); [c, d, e, f] leaves full at once. */
  private void runTwoBatches() throws Exception {
    var a = batcher.submit("a");
    clock.awaitDispatcherWaitingUntil(Duration.ofMillis(10));
    clock.advance(Duration.ofMillis(4));
    var b = batcher.submit("b");
    clock.awaitDispatcherWaitingUntil(Duration.ofMillis(10));
    clock.advance(Duration.ofMillis(6));
    assertThat(resultOf(a) + resultOf(b)).isEqualTo("AB");

    var full = List.of("c", "d", "e", "f").stream().map(batcher::submit).toList();
    for (var future : full) resultOf(future);
  }
}
