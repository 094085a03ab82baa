package dev.paternoster.bench;

import java.util.Arrays;

/**
 * Mean and percentiles of a sample, the way the reports of vLLM's {@code benchmark_serving} compute
 * them (numpy's default: linear interpolation between the two nearest ranks), so numbers are
 * comparable with what people already publish.
 */
public final class Percentiles {
  private Percentiles() {}

  /**
   * Summary of one metric.
   *
   * @param count number of values (NaN values are left out)
   * @param mean arithmetic mean; NaN when empty
   * @param p50 median
   * @param p90 90th percentile
   * @param p99 99th percentile
   * @param min smallest value
   * @param max largest value
   */
  public record Stats(int count, double mean, double p50, double p90, double p99, double min, double max) {
    public static final Stats EMPTY = new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    /** The same statistics multiplied by {@code factor} (e.g. seconds to milliseconds). */
    public Stats scaled(double factor) {
      return new Stats(count, mean * factor, p50 * factor, p90 * factor, p99 * factor, min * factor, max * factor);
    }
  }

  /** Statistics of {@code values}; NaN entries (e.g. a TTFT of a failed request) are ignored. */
  public static Stats of(double[] values) {
    double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
    if (v.length == 0) return Stats.EMPTY;
    double sum = 0;
    for (double x : v) sum += x;
    return new Stats(v.length, sum / v.length, sortedPercentile(v, 50), sortedPercentile(v, 90),
        sortedPercentile(v, 99), v[0], v[v.length - 1]);
  }

  /** The {@code p}-th percentile (0..100) of {@code values}, which need not be sorted. */
  public static double percentile(double[] values, double p) {
    double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
    return v.length == 0 ? Double.NaN : sortedPercentile(v, p);
  }

  /** Linear interpolation at rank {@code p/100 * (n-1)} of an ascending array. */
  static double sortedPercentile(double[] sorted, double p) {
    if (p < 0 || p > 100) throw new IllegalArgumentException("percentile must be in [0, 100], got " + p);
    double rank = p / 100 * (sorted.length - 1);
    int lo = (int) Math.floor(rank);
    int hi = Math.min(lo + 1, sorted.length - 1);
    double frac = rank - lo;
    return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
  }
}
