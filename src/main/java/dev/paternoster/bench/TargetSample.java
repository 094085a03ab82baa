package dev.paternoster.bench;

/**
 * The target's own gauges at one moment (engine snapshot, or a server's {@code /metrics}); fields
 * the target cannot tell are -1 (counts) or NaN (usage).
 *
 * @param nanos {@link System#nanoTime()} when taken
 * @param running requests being generated
 * @param waiting requests queued
 * @param kvCacheUsage fraction of KV cache pages in use, 0..1
 * @param preemptionsTotal preemptions since the target started
 */
public record TargetSample(long nanos, int running, int waiting, double kvCacheUsage, long preemptionsTotal) {

  public static TargetSample unknown() {
    return new TargetSample(System.nanoTime(), -1, -1, Double.NaN, -1);
  }

  public boolean isKnown() {
    return running >= 0 || waiting >= 0 || !Double.isNaN(kvCacheUsage) || preemptionsTotal >= 0;
  }
}
