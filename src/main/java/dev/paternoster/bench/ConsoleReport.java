package dev.paternoster.bench;

import java.util.List;
import java.util.Locale;

/** The human-readable tables printed at the end of a run (the layout of vLLM's benchmark output). */
public final class ConsoleReport {
  private static final int WIDTH = 64;

  private ConsoleReport() {}

  public static String run(RunSummary s) {
    StringBuilder b = new StringBuilder();
    b.append(title(" Serving benchmark: " + s.label() + " "));
    b.append(line("Target", s.target()));
    b.append(line("Successful requests", s.completed()));
    if (s.failed() > 0) b.append(line("Failed requests", s.failed()));
    b.append(line("Benchmark duration (s)", fmt(s.durationSeconds())));
    b.append(line("Total input tokens", s.totalInputTokens()));
    b.append(line("Total generated tokens", s.totalOutputTokens()));
    b.append(line("Request throughput (req/s)", fmt(s.requestThroughput())));
    b.append(line("Output token throughput (tok/s)", fmt(s.outputThroughput())));
    b.append(line("Total token throughput (tok/s)", fmt(s.totalTokenThroughput())));
    b.append(section("Time to First Token", "TTFT", s.ttftMs()));
    b.append(section("Time per Output Token (excl. 1st token)", "TPOT", s.tpotMs()));
    b.append(section("Inter-token Latency", "ITL", s.itlMs()));
    b.append(section("End-to-end Latency", "E2E", s.e2eMs()));
    if (s.preemptions() >= 0 || !Double.isNaN(s.kvUsagePeak()) || s.maxRunning() >= 0) {
      b.append(title("Engine"));
      if (s.preemptions() >= 0) b.append(line("Preemptions", s.preemptions()));
      if (!Double.isNaN(s.kvUsagePeak())) {
        b.append(line("KV cache usage mean / peak (%)", fmt(100 * s.kvUsageMean()) + " / " + fmt(100 * s.kvUsagePeak())));
      }
      if (s.maxRunning() >= 0) b.append(line("Most requests running at once", s.maxRunning()));
    }
    for (String e : s.errors()) b.append("  error: ").append(e).append('\n');
    b.append("=".repeat(WIDTH)).append('\n');
    return b.toString();
  }

  public static String comparison(Comparison c) {
    RunSummary st = c.staticRun(), co = c.continuousRun();
    StringBuilder b = new StringBuilder(title(" Static vs continuous batching "));
    b.append(String.format(Locale.ROOT, "%-28s %11s %11s %11s%n", "", "static", "continuous", "cont/static"));
    b.append(row("Output throughput (tok/s)", st.outputThroughput(), co.outputThroughput(), c.outputThroughputRatio()));
    b.append(row("Request throughput (req/s)", st.requestThroughput(), co.requestThroughput(), c.requestThroughputRatio()));
    b.append(row("TTFT p50 (ms)", st.ttftMs().p50(), co.ttftMs().p50(), c.ttftP50Ratio()));
    b.append(row("E2E latency p50 (ms)", st.e2eMs().p50(), co.e2eMs().p50(), c.e2eP50Ratio()));
    b.append(row("TTFT p99 (ms)", st.ttftMs().p99(), co.ttftMs().p99(), st.ttftMs().p99() == 0 ? Double.NaN : co.ttftMs().p99() / st.ttftMs().p99()));
    b.append(String.format(Locale.ROOT, "Continuous batching: %.2fx the output throughput, %.2fx the median TTFT.%n",
        c.outputThroughputRatio(), c.ttftP50Ratio()));
    b.append("=".repeat(WIDTH)).append('\n');
    return b.toString();
  }

  public static String sweep(List<Double> rates, List<RunSummary> runs) {
    StringBuilder b = new StringBuilder(title(" Latency vs load "));
    b.append(String.format(Locale.ROOT, "%9s %10s %10s %10s %10s %10s %7s%n",
        "rate", "req/s", "tok/s", "TTFT p50", "TTFT p99", "E2E p50", "preempt"));
    for (int i = 0; i < rates.size(); i++) {
      RunSummary s = runs.get(i);
      b.append(String.format(Locale.ROOT, "%9s %10.2f %10.1f %10.1f %10.1f %10.1f %7s%n",
          fmt(rates.get(i)), s.requestThroughput(), s.outputThroughput(), s.ttftMs().p50(), s.ttftMs().p99(),
          s.e2eMs().p50(), s.preemptions() >= 0 ? Long.toString(s.preemptions()) : "-"));
    }
    b.append("(latencies in ms)\n").append("=".repeat(WIDTH)).append('\n');
    return b.toString();
  }

  public static String batchedBench(List<BatchedBench.Result> results) {
    StringBuilder b = new StringBuilder(title(" Batched bench (llama-batched-bench layout) "));
    b.append(String.format(Locale.ROOT, "|%6s |%6s |%5s |%8s |%9s |%8s |%9s |%8s |%9s |%n",
        "PP", "TG", "B", "T_PP s", "S_PP t/s", "T_TG s", "S_TG t/s", "T s", "S t/s"));
    for (BatchedBench.Result r : results) {
      b.append(String.format(Locale.ROOT, "|%6d |%6d |%5d |%8.3f |%9.2f |%8.3f |%9.2f |%8.3f |%9.2f |%n",
          r.promptTokens(), r.genTokens(), r.sequences(), r.prefillSeconds(), r.prefillTokensPerSecond(),
          r.decodeSeconds(), r.decodeTokensPerSecond(), r.totalSeconds(), r.totalTokensPerSecond()));
    }
    return b.toString();
  }

  private static String row(String name, double a, double b, double ratio) {
    return String.format(Locale.ROOT, "%-28s %11s %11s %10sx%n", name, fmt(a), fmt(b), fmt(ratio));
  }

  private static String section(String name, String abbrev, Percentiles.Stats s) {
    return title(name)
        + line("Mean " + abbrev + " (ms)", fmt(s.mean()))
        + line("Median " + abbrev + " (ms)", fmt(s.p50()))
        + line("P90 " + abbrev + " (ms)", fmt(s.p90()))
        + line("P99 " + abbrev + " (ms)", fmt(s.p99()));
  }

  private static String title(String t) {
    int pad = Math.max(0, WIDTH - t.length());
    return "-".repeat(pad / 2) + t + "-".repeat(pad - pad / 2) + "\n";
  }

  private static String line(String name, Object value) {
    return String.format(Locale.ROOT, "%-40s %s%n", name + ":", value);
  }

  static String fmt(double v) {
    if (Double.isNaN(v)) return "-";
    if (Double.isInfinite(v)) return "inf";
    return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.1f" : "%.2f", v);
  }
}
