package dev.paternoster.batch;

import java.util.SortedMap;

/**
 * A point-in-time snapshot of a {@link DynamicBatcher}'s counters, from {@link
 * DynamicBatcher#stats()}. Counters are read one by one, so while requests are in flight they may
 * be off by a few against each other; after {@code close()} they are exact and
 * {@code submitted == completed + failed + cancelled}.
 *
 * @param submitted requests accepted into the queue
 * @param rejectedQueueFull submits refused with {@link QueueFullException}
 * @param rejectedClosed submits refused with {@link BatcherClosedException} after close
 * @param completed futures completed with a result
 * @param failed futures failed by the batcher: the batch function threw, broke its result
 *     contract, or the batcher closed with {@link ShutdownMode#FAIL_PENDING}
 * @param cancelled futures cancelled or otherwise completed by their caller first
 * @param queued requests waiting to be dispatched right now
 * @param activeBatches batches handed to the batch function and not finished yet
 * @param batches calls of the batch function
 * @param failedBatches calls that threw or returned the wrong number of results
 * @param meanBatchSize mean number of inputs per call, 0 before the first call
 * @param largestBatchSize most inputs seen in one call
 * @param batchSizeHistogram number of calls per batch size, only sizes that occurred, ascending
 * @param queueWait time from each request's arrival to its dispatch
 * @param batchLatency duration of each call of the batch function
 */
public record BatcherStats(
    long submitted,
    long rejectedQueueFull,
    long rejectedClosed,
    long completed,
    long failed,
    long cancelled,
    int queued,
    int activeBatches,
    long batches,
    long failedBatches,
    double meanBatchSize,
    int largestBatchSize,
    SortedMap<Integer, Long> batchSizeHistogram,
    LatencySummary queueWait,
    LatencySummary batchLatency) {}
