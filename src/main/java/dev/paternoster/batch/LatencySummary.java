package dev.paternoster.batch;

import java.time.Duration;

/**
 * A summary of recorded durations. Percentiles come from a log-linear histogram and are accurate
 * to within about 3% (never above {@link #max}); {@code max} and {@code mean} are exact.
 */
public record LatencySummary(
    long count, Duration mean, Duration p50, Duration p90, Duration p99, Duration max) {

  /** The summary of nothing recorded yet: zero count, zero durations. */
  public static final LatencySummary EMPTY =
      new LatencySummary(
          0, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);
}
