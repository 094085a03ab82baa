package dev.paternoster.batch;

import java.time.Duration;
import java.util.Objects;

/**
 * The four knobs of a {@link DynamicBatcher}, validated on construction.
 *
 * @param maxBatchSize most requests passed to one call of the batch function; a batch is
 *     dispatched as soon as this many requests are queued
 * @param maxWait longest a request waits for companions: a batch is dispatched once its oldest
 *     request has been queued this long, counted from that request's arrival. {@code 0}
 *     dispatches whatever is queued right away
 * @param maxConcurrentBatches how many calls of the batch function may run at the same time
 * @param maxQueueSize most requests waiting to be dispatched; one more is refused with {@link
 *     QueueFullException}. At least {@code maxBatchSize}, or a full batch could never form
 */
public record BatcherConfig(
    int maxBatchSize, Duration maxWait, int maxConcurrentBatches, int maxQueueSize) {

  public static final int DEFAULT_MAX_BATCH_SIZE = 8;
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofMillis(5);
  public static final int DEFAULT_MAX_CONCURRENT_BATCHES = 1;
  public static final int DEFAULT_MAX_QUEUE_SIZE = 1024;

  public BatcherConfig {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("maxBatchSize must be at least 1, was " + maxBatchSize);
    }
    Objects.requireNonNull(maxWait, "maxWait must not be null (use Duration.ZERO for no waiting)");
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must not be negative, was " + maxWait);
    }
    try {
      // The dispatcher computes in nanoseconds; this bound is about 292 years.
      maxWait.toNanos();
    } catch (ArithmeticException tooLong) {
      throw new IllegalArgumentException(
          "maxWait must fit in a long of nanoseconds (about 292 years), was " + maxWait);
    }
    if (maxConcurrentBatches < 1) {
      throw new IllegalArgumentException(
          "maxConcurrentBatches must be at least 1, was " + maxConcurrentBatches);
    }
    if (maxQueueSize < maxBatchSize) {
      throw new IllegalArgumentException(
          "maxQueueSize must be at least maxBatchSize (" + maxBatchSize + ") so a full batch can"
              + " form, was " + maxQueueSize);
    }
  }

  /** {@link #maxWait} in nanoseconds, the unit the dispatcher works in. */
  public long maxWaitNanos() {
    return maxWait.toNanos();
  }

  /** A builder from the defaults: batches of 8, 5 ms wait, one batch at a time, 1024 queued. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder()
        .maxBatchSize(maxBatchSize)
        .maxWait(maxWait)
        .maxConcurrentBatches(maxConcurrentBatches)
        .maxQueueSize(maxQueueSize);
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
    private Duration maxWait = DEFAULT_MAX_WAIT;
    private int maxConcurrentBatches = DEFAULT_MAX_CONCURRENT_BATCHES;
    private int maxQueueSize = DEFAULT_MAX_QUEUE_SIZE;

    private Builder() {}

    public Builder maxBatchSize(int maxBatchSize) {
      this.maxBatchSize = maxBatchSize;
      return this;
    }

    public Builder maxWait(Duration maxWait) {
      this.maxWait = maxWait;
      return this;
    }

    public Builder maxConcurrentBatches(int maxConcurrentBatches) {
      this.maxConcurrentBatches = maxConcurrentBatches;
      return this;
    }

    public Builder maxQueueSize(int maxQueueSize) {
      this.maxQueueSize = maxQueueSize;
      return this;
    }

    public BatcherConfig build() {
      return new BatcherConfig(maxBatchSize, maxWait, maxConcurrentBatches, maxQueueSize);
    }
  }
}
