package dev.paternoster.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The numbers of one run, with the definitions of vLLM's {@code benchmark_serving}: throughputs
 * over the whole run's wall time; TTFT from send to first output chunk; TPOT = (e2e - TTFT) /
 * (tokens - 1) per request; ITL = every gap between consecutive chunks of all requests; latencies
 * in milliseconds. Failed requests count in {@link #failed} and nowhere else.
 *
 * @param preemptions preemptions during the run; -1 when the target does not report them
 * @param kvUsageMean mean sampled KV cache usage 0..1; NaN when unknown
 * @param kvUsagePeak highest sampled KV cache usage; NaN when unknown
 * @param maxRunning most requests the target reported running at once; -1 when unknown
 * @param errors up to five distinct error messages of failed requests
 */
public record RunSummary(
    String label,
    String target,
    double durationSeconds,
    int completed,
    int failed,
    long totalInputTokens,
    long totalOutputTokens,
    double requestThroughput,
    double outputThroughput,
    double totalTokenThroughput,
    Percentiles.Stats ttftMs,
    Percentiles.Stats tpotMs,
    Percentiles.Stats itlMs,
    Percentiles.Stats e2eMs,
    long preemptions,
    double kvUsageMean,
    double kvUsagePeak,
    int maxRunning,
    List<String> errors) {

  public static RunSummary of(RunResult run) {
    List<RequestRecord> ok = run.records().stream().filter(RequestRecord::succeeded).toList();
    double seconds = Math.max(run.durationSeconds(), 1e-9);
    long in = ok.stream().mapToLong(RequestRecord::promptTokens).sum();
    long out = ok.stream().mapToLong(RequestRecord::outputTokens).sum();
    double[] ttft = ok.stream().mapToDouble(RequestRecord::ttftSeconds).toArray();
    double[] tpot = ok.stream().mapToDouble(RequestRecord::tpotSeconds).toArray();
    double[] itl = ok.stream().flatMapToDouble(r -> java.util.Arrays.stream(r.itlSeconds())).toArray();
    double[] e2e = ok.stream().mapToDouble(RequestRecord::e2eSeconds).toArray();

    long preemptions = run.before().preemptionsTotal() >= 0 && run.after().preemptionsTotal() >= 0
        ? run.after().preemptionsTotal() - run.before().preemptionsTotal() : -1;
    double[] kv = run.samples().stream().mapToDouble(TargetSample::kvCacheUsage).filter(v -> !Double.isNaN(v)).toArray();
    double kvMean = kv.length == 0 ? Double.NaN : java.util.Arrays.stream(kv).average().orElse(Double.NaN);
    double kvPeak = kv.length == 0 ? Double.NaN : java.util.Arrays.stream(kv).max().orElse(Double.NaN);
    int maxRunning = run.samples().stream().mapToInt(TargetSample::running).max().orElse(-1);
    Set<String> errors = new LinkedHashSet<>();
    for (RequestRecord r : run.records()) {
      if (!r.succeeded() && errors.size() < 5) errors.add(r.error());
    }
    return new RunSummary(run.label(), run.target(), run.durationSeconds(), ok.size(), run.records().size() - ok.size(),
        in, out, ok.size() / seconds, out / seconds, (in + out) / seconds,
        Percentiles.of(ttft).scaled(1e3), Percentiles.of(tpot).scaled(1e3), Percentiles.of(itl).scaled(1e3),
        Percentiles.of(e2e).scaled(1e3), preemptions, kvMean, kvPeak, maxRunning, new ArrayList<>(errors));
  }

  /**
   * Output tokens per second in {@code binSeconds}-wide bins from the run's start, from the chunk
   * arrival times. A chunk that carried several tokens (the usage count says so) counts for its share.
   */
  public static double[] outputTokensPerSecond(RunResult run, double binSeconds) {
    int bins = Math.max(1, (int) Math.ceil(run.durationSeconds() / binSeconds));
    double[] tokens = new double[bins];
    for (RequestRecord r : run.records()) {
      if (!r.succeeded() || r.chunkNanos().length == 0) continue;
      double perChunk = (double) r.outputTokens() / r.chunkNanos().length;
      for (long t : r.chunkNanos()) {
        int bin = (int) ((t - run.startNanos()) / 1e9 / binSeconds);
        tokens[Math.min(bins - 1, Math.max(0, bin))] += perChunk;
      }
    }
    for (int i = 0; i < bins; i++) tokens[i] /= binSeconds;
    return tokens;
  }
}
