package dev.paternoster.bench;

/**
 * Request-level (static) against iteration-level (continuous) batching on the same workload.
 * Every ratio is continuous / static: above 1 is better for throughput, below 1 for latency.
 */
public record Comparison(RunSummary staticRun, RunSummary continuousRun) {

  public double outputThroughputRatio() {
    return ratio(continuousRun.outputThroughput(), staticRun.outputThroughput());
  }

  public double requestThroughputRatio() {
    return ratio(continuousRun.requestThroughput(), staticRun.requestThroughput());
  }

  public double ttftP50Ratio() {
    return ratio(continuousRun.ttftMs().p50(), staticRun.ttftMs().p50());
  }

  public double e2eP50Ratio() {
    return ratio(continuousRun.e2eMs().p50(), staticRun.e2eMs().p50());
  }

  private static double ratio(double a, double b) {
    return b == 0 || Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : a / b;
  }
}
