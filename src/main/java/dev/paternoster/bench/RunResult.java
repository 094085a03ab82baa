package dev.paternoster.bench;

import java.util.List;
import java.util.Map;

/**
 * Everything one run measured, before any statistics.
 *
 * @param label name of the run ({@code continuous}, {@code rate 4}, ...)
 * @param target what was measured
 * @param targetInfo the target's settings and counters, taken after the run
 * @param workload what was sent
 * @param records one per request sent, in workload order
 * @param startNanos when the first request could be sent
 * @param endNanos when the last response was complete
 * @param samples the target's gauges over the run
 * @param before gauges just before the run (counters are reported as differences)
 * @param after gauges just after the run
 */
public record RunResult(
    String label,
    String target,
    Map<String, Object> targetInfo,
    Workload workload,
    List<RequestRecord> records,
    long startNanos,
    long endNanos,
    List<TargetSample> samples,
    TargetSample before,
    TargetSample after) {

  public RunResult {
    records = List.copyOf(records);
    samples = List.copyOf(samples);
    targetInfo = Map.copyOf(targetInfo);
  }

  public double durationSeconds() {
    return (endNanos - startNanos) / 1e9;
  }
}
