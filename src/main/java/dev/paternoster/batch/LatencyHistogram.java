package dev.paternoster.batch;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A lock-free histogram of nanosecond durations for {@link BatcherStats}, so the plain snapshot
 * API can report percentiles without Micrometer. Buckets are log-linear (HdrHistogram style):
 * values below 32 ns get one bucket each, and every further power of two is split into 32 equal
 * buckets, bounding the relative error of a percentile by 1/32. 1888 counters cover all longs.
 */
final class LatencyHistogram {

  private static final int SUB_BUCKET_BITS = 5;
  private static final int SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
  private static final int BUCKETS = SUB_BUCKETS + (63 - SUB_BUCKET_BITS) * SUB_BUCKETS;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final LongAdder sum = new LongAdder();
  private final AtomicLong max = new AtomicLong();

  /** Records one duration; negative values (impossible on a monotonic clock) count as zero. */
  void record(long nanos) {
    long value = Math.max(0, nanos);
    counts.incrementAndGet(bucketOf(value));
    sum.add(value);
    max.accumulateAndGet(value, Math::max);
  }

  /** A summary of what was recorded so far; approximate while recording goes on concurrently. */
  LatencySummary summary() {
    long[] snapshot = new long[BUCKETS];
    long count = 0;
    for (int i = 0; i < BUCKETS; i++) {
      snapshot[i] = counts.get(i);
      count += snapshot[i];
    }
    if (count == 0) {
      return LatencySummary.EMPTY;
    }
    long maxNanos = max.get();
    return new LatencySummary(
        count,
        Duration.ofNanos(sum.sum() / count),
        Duration.ofNanos(percentile(snapshot, count, 0.50, maxNanos)),
        Duration.ofNanos(percentile(snapshot, count, 0.90, maxNanos)),
        Duration.ofNanos(percentile(snapshot, count, 0.99, maxNanos)),
        Duration.ofNanos(maxNanos));
  }

  private static long percentile(long[] snapshot, long count, double quantile, long maxNanos) {
    long rank = Math.max(1, (long) Math.ceil(quantile * count));
    long seen = 0;
    for (int i = 0; i < snapshot.length; i++) {
      seen += snapshot[i];
      if (seen >= rank) {
        return Math.min(upperBoundOf(i), maxNanos);
      }
    }
    return maxNanos;
  }

  static int bucketOf(long value) {
    if (value < SUB_BUCKETS) {
      return (int) value;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(value);
    int shift = exponent - SUB_BUCKET_BITS;
    int subBucket = (int) (value >>> shift) - SUB_BUCKETS;
    return SUB_BUCKETS + shift * SUB_BUCKETS + subBucket;
  }

  /** The largest value that falls into bucket {@code index}. */
  static long upperBoundOf(int index) {
    if (index < SUB_BUCKETS) {
      return index;
    }
    int shift = (index - SUB_BUCKETS) / SUB_BUCKETS;
    long subBucket = (index - SUB_BUCKETS) % SUB_BUCKETS;
    long lowerBound = (SUB_BUCKETS + subBucket) << shift;
    return lowerBound + (1L << shift) - 1;
  }
}
