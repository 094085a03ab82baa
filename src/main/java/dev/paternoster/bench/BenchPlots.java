package dev.paternoster.bench;

import java.util.ArrayList;
import java.util.List;

/** The figures of {@code --plot FILE.svg}, built from runs with {@link SvgPlot}. */
public final class BenchPlots {
  private BenchPlots() {}

  /**
   * Output tokens/s over time and the TTFT and end-to-end latency CDFs, one line per run (so a
   * static-vs-continuous comparison overlays); KV cache usage over time when the target reports it.
   */
  public static String serving(String title, List<RunResult> runs) {
    List<SvgPlot.Series> tps = new ArrayList<>(), ttft = new ArrayList<>(), e2e = new ArrayList<>(), kv = new ArrayList<>();
    double bin = binSeconds(runs.stream().mapToDouble(RunResult::durationSeconds).max().orElse(1));
    for (RunResult run : runs) {
      double[] y = RunSummary.outputTokensPerSecond(run, bin);
      double[] x = new double[y.length];
      for (int i = 0; i < x.length; i++) x[i] = (i + 0.5) * bin;
      tps.add(SvgPlot.Series.line(run.label(), x, y));
      List<RequestRecord> ok = run.records().stream().filter(RequestRecord::succeeded).toList();
      ttft.add(SvgPlot.cdf(run.label(), ok.stream().mapToDouble(r -> r.ttftSeconds() * 1e3).toArray()));
      e2e.add(SvgPlot.cdf(run.label(), ok.stream().mapToDouble(r -> r.e2eSeconds() * 1e3).toArray()));
      List<TargetSample> known = run.samples().stream().filter(s -> !Double.isNaN(s.kvCacheUsage())).toList();
      if (!known.isEmpty()) {
        kv.add(SvgPlot.Series.line(run.label(),
            known.stream().mapToDouble(s -> (s.nanos() - run.startNanos()) / 1e9).toArray(),
            known.stream().mapToDouble(s -> 100 * s.kvCacheUsage()).toArray()));
      }
    }
    List<SvgPlot.Chart> charts = new ArrayList<>(List.of(
        new SvgPlot.Chart("Output tokens/s over time (" + bin + " s bins)", "time since start (s)", "output tokens/s", tps, true),
        new SvgPlot.Chart("Time to first token (CDF)", "TTFT (ms)", "fraction of requests", ttft),
        new SvgPlot.Chart("End-to-end latency (CDF)", "latency (ms)", "fraction of requests", e2e)));
    if (!kv.isEmpty()) charts.add(new SvgPlot.Chart("KV cache usage", "time since start (s)", "pages in use (%)", kv, true));
    return SvgPlot.render(title, charts, 2);
  }

  /** About 40 bins over the run, of a round width (0.1, 0.2, 0.5, 1, 2, 5 ... s): readable for short and long runs. */
  static double binSeconds(double durationSeconds) {
    double raw = Math.max(durationSeconds, 0.1) / 40;
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = raw / magnitude <= 1 ? 1 : raw / magnitude <= 2 ? 2 : raw / magnitude <= 5 ? 5 : 10;
    return Math.max(0.1, java.math.BigDecimal.valueOf(step).multiply(java.math.BigDecimal.valueOf(magnitude)).doubleValue());
  }

  /** Latency and throughput against the offered request rate. */
  public static String sweep(String title, List<Double> rates, List<RunSummary> runs) {
    double[] x = rates.stream().mapToDouble(Double::doubleValue).toArray();
    double[] ttft50 = runs.stream().mapToDouble(s -> s.ttftMs().p50()).toArray();
    double[] ttft99 = runs.stream().mapToDouble(s -> s.ttftMs().p99()).toArray();
    double[] e2e50 = runs.stream().mapToDouble(s -> s.e2eMs().p50()).toArray();
    double[] tpot50 = runs.stream().mapToDouble(s -> s.tpotMs().p50()).toArray();
    double[] tput = runs.stream().mapToDouble(RunSummary::outputThroughput).toArray();
    return SvgPlot.render(title, List.of(
        new SvgPlot.Chart("Latency vs load", "offered load (req/s)", "ms", List.of(
            new SvgPlot.Series("TTFT p50", x, ttft50, false, true),
            new SvgPlot.Series("TTFT p99", x, ttft99, false, true),
            new SvgPlot.Series("E2E p50", x, e2e50, false, true))),
        new SvgPlot.Chart("Time per output token vs load", "offered load (req/s)", "ms", List.of(
            new SvgPlot.Series("TPOT p50", x, tpot50, false, true))),
        new SvgPlot.Chart("Throughput vs load", "offered load (req/s)", "output tokens/s", List.of(
            new SvgPlot.Series("output tok/s", x, tput, false, true)))), 2);
  }

  /** Aggregate decode and prefill speed against the number of sequences. */
  public static String batched(String title, List<BatchedBench.Result> results) {
    double[] x = results.stream().mapToDouble(BatchedBench.Result::sequences).toArray();
    return SvgPlot.render(title, List.of(
        new SvgPlot.Chart("Aggregate speed vs sequences", "parallel sequences", "tokens/s", List.of(
            new SvgPlot.Series("decode tok/s", x, results.stream().mapToDouble(BatchedBench.Result::decodeTokensPerSecond).toArray(), false, true),
            new SvgPlot.Series("prefill tok/s", x, results.stream().mapToDouble(BatchedBench.Result::prefillTokensPerSecond).toArray(), false, true)))), 1);
  }
}
