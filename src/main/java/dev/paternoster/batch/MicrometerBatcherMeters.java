package dev.paternoster.batch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * The batcher's meters in a Micrometer registry, all tagged {@code batcher=<name>}:
 *
 * <ul>
 *   <li>{@code paternoster.batcher.batch.size} distribution summary of inputs per call
 *   <li>{@code paternoster.batcher.queue.wait} timer, arrival to dispatch, per request
 *   <li>{@code paternoster.batcher.batch.latency} timer per call of the batch function
 *   <li>{@code paternoster.batcher.requests} counter tagged {@code outcome} = completed, failed,
 *       cancelled, rejected_queue_full, rejected_closed
 *   <li>{@code paternoster.batcher.batches} counter tagged {@code outcome} = succeeded, failed
 *   <li>{@code paternoster.batcher.queue.size} and {@code paternoster.batcher.batches.active}
 *       gauges
 * </ul>
 *
 * Histograms are published so Prometheus can compute percentiles across instances.
 */
final class MicrometerBatcherMeters {

  static final String PREFIX = "paternoster.batcher.";

  final Counter completed;
  final Counter failed;
  final Counter cancelled;
  final Counter rejectedQueueFull;
  final Counter rejectedClosed;
  private final Counter succeededBatches;
  private final Counter failedBatches;
  private final DistributionSummary batchSize;
  private final Timer queueWait;
  private final Timer batchLatency;

  MicrometerBatcherMeters(MeterRegistry registry, String batcherName, int maxBatchSize) {
    completed = requests(registry, batcherName, "completed");
    failed = requests(registry, batcherName, "failed");
    cancelled = requests(registry, batcherName, "cancelled");
    rejectedQueueFull = requests(registry, batcherName, "rejected_queue_full");
    rejectedClosed = requests(registry, batcherName, "rejected_closed");
    succeededBatches = batches(registry, batcherName, "succeeded");
    failedBatches = batches(registry, batcherName, "failed");
    batchSize =
        DistributionSummary.builder(PREFIX + "batch.size")
            .description("Inputs per call of the batch function")
            .baseUnit("requests")
            .tag("batcher", batcherName)
            .publishPercentileHistogram()
            .minimumExpectedValue(1.0)
            .maximumExpectedValue((double) maxBatchSize)
            .register(registry);
    queueWait =
        Timer.builder(PREFIX + "queue.wait")
            .description("Time from a request's arrival to its dispatch in a batch")
            .tag("batcher", batcherName)
            .publishPercentileHistogram()
            .register(registry);
    batchLatency =
        Timer.builder(PREFIX + "batch.latency")
            .description("Duration of one call of the batch function")
            .tag("batcher", batcherName)
            .publishPercentileHistogram()
            .register(registry);
  }

  /** Gauges read the live batcher; Micrometer holds it weakly, so they don't keep it alive. */
  static void registerGauges(MeterRegistry registry, DynamicBatcher<?, ?> batcher) {
    Gauge.builder(PREFIX + "queue.size", batcher, DynamicBatcher::queuedCount)
        .description("Requests waiting to be dispatched")
        .tag("batcher", batcher.name())
        .register(registry);
    Gauge.builder(PREFIX + "batches.active", batcher, DynamicBatcher::activeBatchCount)
        .description("Calls of the batch function running now")
        .tag("batcher", batcher.name())
        .register(registry);
  }

  void recordQueueWait(long nanos) {
    queueWait.record(nanos, TimeUnit.NANOSECONDS);
  }

  void recordBatch(int size, long nanos, boolean succeeded) {
    batchSize.record(size);
    batchLatency.record(nanos, TimeUnit.NANOSECONDS);
    (succeeded ? succeededBatches : failedBatches).increment();
  }

  private static Counter requests(MeterRegistry registry, String batcherName, String outcome) {
    return Counter.builder(PREFIX + "requests")
        .description("Requests by how they ended")
        .tag("batcher", batcherName)
        .tag("outcome", outcome)
        .register(registry);
  }

  private static Counter batches(MeterRegistry registry, String batcherName, String outcome) {
    return Counter.builder(PREFIX + "batches")
        .description("Calls of the batch function by outcome")
        .tag("batcher", batcherName)
        .tag("outcome", outcome)
        .register(registry);
  }
}
