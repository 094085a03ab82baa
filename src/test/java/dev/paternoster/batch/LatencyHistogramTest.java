package dev.paternoster.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The histogram behind BatcherStats' percentiles: bucket layout and accuracy. */
class LatencyHistogramTest {

  @Test
  void everyValueFallsIntoABucketWhoseUpperBoundIsWithinOneThirtySecond() {
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < 100_000; i++) {
      long value = random.nextLong(Long.MAX_VALUE) >>> random.nextInt(63);
      long upper = LatencyHistogram.upperBoundOf(LatencyHistogram.bucketOf(value));
      assertThat(upper).isGreaterThanOrEqualTo(value);
      assertThat((double) (upper - value)).isLessThanOrEqualTo(value / 32.0);
    }
    assertThat(LatencyHistogram.upperBoundOf(LatencyHistogram.bucketOf(Long.MAX_VALUE)))
        .isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void bucketsAreContiguousAndAscending() {
    long previousUpper = -1;
    for (int index = 0; index < 200; index++) {
      long upper = LatencyHistogram.upperBoundOf(index);
      assertThat(LatencyHistogram.bucketOf(previousUpper + 1)).isEqualTo(index);
      assertThat(LatencyHistogram.bucketOf(upper)).isEqualTo(index);
      previousUpper = upper;
    }
  }

  @Test
  void summaryOfOneToThousandMicroseconds() {
    LatencyHistogram histogram = new LatencyHistogram();
    for (int micros = 1000; micros >= 1; micros--) histogram.record(micros * 1000L);

    LatencySummary summary = histogram.summary();

    assertThat(summary.count()).isEqualTo(1000);
    assertThat(summary.mean()).isEqualTo(Duration.ofNanos(500_500));
    assertThat(summary.max()).isEqualTo(Duration.ofMillis(1));
    assertWithinOneThirtySecond(summary.p50(), Duration.ofNanos(500_000));
    assertWithinOneThirtySecond(summary.p90(), Duration.ofNanos(900_000));
    assertWithinOneThirtySecond(summary.p99(), Duration.ofNanos(990_000));
  }

  @Test
  void emptyHistogramHasAnEmptySummary() {
    assertThat(new LatencyHistogram().summary()).isEqualTo(LatencySummary.EMPTY);
  }

  private static void assertWithinOneThirtySecond(Duration actual, Duration expected) {
    assertThat(actual).isGreaterThanOrEqualTo(expected);
    assertThat((double) actual.minus(expected).toNanos())
        .isLessThanOrEqualTo(expected.toNanos() / 32.0);
  }
}
