package dev.paternoster.bench;

import java.util.HashMap;
import java.util.Map;

/**
 * Reads the gauges the benchmark reports from a server's Prometheus {@code /metrics} text.
 *
 * <p>Names are matched by suffix so that any prefix works ({@code paternoster_}, {@code vllm:}):
 * the vLLM names that Paternoster exports ({@code num_requests_running}, {@code
 * kv_cache_usage_perc}, {@code num_preemptions_total}, ...), and llama-server's
 * {@code llamacpp:requests_processing}, {@code requests_deferred} and {@code kv_cache_usage_ratio}.
 */
public final class MetricsScraper {
  private MetricsScraper() {}

  /** Metric name (labels dropped) to value; series of one name with several label sets are summed. */
  public static Map<String, Double> parse(String text) {
    Map<String, Double> values = new HashMap<>();
    for (String line : text.split("\n")) {
      line = line.strip();
      if (line.isEmpty() || line.startsWith("#")) continue;
      int brace = line.indexOf('{');
      int nameEnd = brace >= 0 ? brace : line.indexOf(' ');
      if (nameEnd <= 0) continue;
      String name = line.substring(0, nameEnd);
      String rest = brace >= 0 ? line.substring(line.indexOf('}', brace) + 1).strip() : line.substring(nameEnd).strip();
      String[] parts = rest.split("\\s+"); // value, then an optional timestamp
      try {
        values.merge(name, Double.parseDouble(parts[0]), Double::sum);
      } catch (NumberFormatException e) {
        // "NaN"/"+Inf" parse; anything else is not a sample line
      }
    }
    return values;
  }

  /** The benchmark's gauges from parsed metrics; unknown fields as in {@link TargetSample}. */
  public static TargetSample sample(Map<String, Double> m, long nanos) {
    double running = find(m, "num_requests_running", "requests_processing");
    double waiting = find(m, "num_requests_waiting", "requests_deferred");
    double kv = find(m, "kv_cache_usage_perc", "kv_cache_usage_ratio");
    if (kv > 1) kv /= 100; // some exporters give a percentage despite vLLM's 0..1 convention
    double preemptions = find(m, "num_preemptions_total", "num_preemptions");
    return new TargetSample(nanos,
        Double.isNaN(running) ? -1 : (int) running,
        Double.isNaN(waiting) ? -1 : (int) waiting,
        kv,
        Double.isNaN(preemptions) ? -1 : (long) preemptions);
  }

  private static double find(Map<String, Double> m, String... suffixes) {
    for (String suffix : suffixes) {
      for (Map.Entry<String, Double> e : m.entrySet()) {
        String k = e.getKey();
        if (k.equals(suffix) || k.endsWith("_" + suffix) || k.endsWith(":" + suffix)) return e.getValue();
      }
    }
    return Double.NaN;
  }
}
