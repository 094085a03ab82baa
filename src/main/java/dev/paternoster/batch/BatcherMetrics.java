package dev.paternoster.batch;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Everything a batcher counts and times. Keeps its own lock-free counters for {@link
 * BatcherStats} and, when a Micrometer registry was given, forwards each event to it as well.
 * Durations are measured on the batcher's {@link BatcherClock}, so tests on a manual clock get
 * exact values.
 */
final class BatcherMetrics {

  private final LongAdder submitted = new LongAdder();
  private final LongAdder rejectedQueueFull = new LongAdder();
  private final LongAdder rejectedClosed = new LongAdder();
  private final LongAdder completed = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder cancelled = new LongAdder();
  private final LongAdder batches = new LongAdder();
  private final LongAdder failedBatches = new LongAdder();
  private final LongAdder batchedRequests = new LongAdder();
  /** Index = batch size; sizes never exceed maxBatchSize. */
  private final AtomicLongArray batchSizeCounts;
  private final AtomicInteger largestBatchSize = new AtomicInteger();
  private final LatencyHistogram queueWait = new LatencyHistogram();
  private final LatencyHistogram batchLatency = new LatencyHistogram();
  /** Null when the batcher was built without a MeterRegistry. */
  private final MicrometerBatcherMeters meters;

  BatcherMetrics(int maxBatchSize, MicrometerBatcherMeters meters) {
    this.batchSizeCounts = new AtomicLongArray(maxBatchSize + 1);
    this.meters = meters;
  }

  void requestSubmitted() {
    submitted.increment();
  }

  void requestRejectedQueueFull() {
    rejectedQueueFull.increment();
    if (meters != null) meters.rejectedQueueFull.increment();
  }

  void requestRejectedClosed() {
    rejectedClosed.increment();
    if (meters != null) meters.rejectedClosed.increment();
  }

  void requestCompleted() {
    completed.increment();
    if (meters != null) meters.completed.increment();
  }

  void requestFailed() {
    failed.increment();
    if (meters != null) meters.failed.increment();
  }

  void requestCancelled() {
    cancelled.increment();
    if (meters != null) meters.cancelled.increment();
  }

  /** A request waited {@code nanos} between arrival and dispatch. */
  void queueWaited(long nanos) {
    queueWait.record(nanos);
    if (meters != null) meters.recordQueueWait(nanos);
  }

  /** A call of the batch function with {@code size} inputs took {@code nanos}. */
  void batchFinished(int size, long nanos, boolean succeeded) {
    batches.increment();
    if (!succeeded) failedBatches.increment();
    batchedRequests.add(size);
    batchSizeCounts.incrementAndGet(size);
    largestBatchSize.accumulateAndGet(size, Math::max);
    batchLatency.record(nanos);
    if (meters != null) meters.recordBatch(size, nanos, succeeded);
  }

  BatcherStats snapshot(int queued, int activeBatches) {
    SortedMap<Integer, Long> histogram = new TreeMap<>();
    for (int size = 1; size < batchSizeCounts.length(); size++) {
      long count = batchSizeCounts.get(size);
      if (count > 0) histogram.put(size, count);
    }
    long batchCount = batches.sum();
    return new BatcherStats(
        submitted.sum(),
        rejectedQueueFull.sum(),
        rejectedClosed.sum(),
        completed.sum(),
        failed.sum(),
        cancelled.sum(),
        queued,
        activeBatches,
        batchCount,
        failedBatches.sum(),
        batchCount == 0 ? 0.0 : (double) batchedRequests.sum() / batchCount,
        largestBatchSize.get(),
        Collections.unmodifiableSortedMap(histogram),
        queueWait.summary(),
        batchLatency.summary());
  }
}
