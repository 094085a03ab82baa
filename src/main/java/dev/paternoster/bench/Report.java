package dev.paternoster.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The machine-readable report ({@code --json FILE}). Shape (version 1):
 *
 * <pre>
 * { "version": 1, "mode": "serving" | "compare" | "sweep" | "batched-bench",
 *   "workload": {...}, "summary": {...the main run...},
 *   "runs": [ { "label", "target": {...}, "summary": {...}, "timeline": [...], "requests"?: [...] } ],
 *   "comparison"?: {...}, "sweep"?: [...], "batched_bench"?: [...] }
 * </pre>
 *
 * Latencies are in milliseconds, throughputs per second, NaN is written as null.
 */
public final class Report {
  public static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final ObjectNode root = JSON.createObjectNode();
  private final ArrayNode runs;

  public Report(String mode, Workload workload) {
    root.put("version", VERSION);
    root.put("mode", mode);
    if (workload != null) root.set("workload", workload(workload));
    runs = root.putArray("runs");
  }

  public ObjectNode root() {
    return root;
  }

  /** Adds a run; the last one added is also the top-level {@code summary}. */
  public Report addRun(RunResult run, RunSummary summary, boolean includeRequests) {
    ObjectNode r = runs.addObject();
    r.put("label", run.label());
    r.set("target", JSON.valueToTree(run.targetInfo()));
    r.put("target_description", run.target());
    r.set("summary", summary(summary));
    r.set("timeline", timeline(run));
    if (includeRequests) r.set("requests", requests(run));
    root.set("summary", summary(summary));
    return this;
  }

  public Report setComparison(Comparison c) {
    ObjectNode n = root.putObject("comparison");
    n.put("ratio", "continuous / static");
    number(n, "output_throughput_ratio", c.outputThroughputRatio());
    number(n, "request_throughput_ratio", c.requestThroughputRatio());
    number(n, "ttft_p50_ratio", c.ttftP50Ratio());
    number(n, "e2e_p50_ratio", c.e2eP50Ratio());
    root.set("summary", summary(c.continuousRun()));
    return this;
  }

  public Report setSweep(List<Double> rates, List<RunSummary> summaries) {
    ArrayNode a = root.putArray("sweep");
    for (int i = 0; i < rates.size(); i++) {
      ObjectNode p = a.addObject();
      number(p, "request_rate", rates.get(i));
      p.set("summary", summary(summaries.get(i)));
    }
    return this;
  }

  public Report setBatchedBench(List<BatchedBench.Result> results, Map<String, Object> target) {
    root.set("target", JSON.valueToTree(target));
    ArrayNode a = root.putArray("results");
    for (BatchedBench.Result r : results) {
      ObjectNode n = a.addObject();
      n.put("sequences", r.sequences());
      n.put("prompt_tokens", r.promptTokens());
      n.put("gen_tokens", r.genTokens());
      number(n, "prefill_seconds", r.prefillSeconds());
      number(n, "prefill_tok_s", r.prefillTokensPerSecond());
      number(n, "decode_seconds", r.decodeSeconds());
      number(n, "decode_tok_s", r.decodeTokensPerSecond());
      number(n, "total_seconds", r.totalSeconds());
      number(n, "total_tok_s", r.totalTokensPerSecond());
      n.put("decode_steps", r.decodeSteps());
    }
    return this;
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public void write(Path file) throws IOException {
    Files.writeString(file, toJson() + "\n");
  }

  static ObjectNode workload(Workload w) {
    ObjectNode n = JSON.createObjectNode();
    n.put("description", w.describe());
    n.put("closed_loop", w.isClosedLoop());
    if (w.arrivals() != null) {
      number(n, "request_rate", w.arrivals().rate());
      n.put("burstiness", w.arrivals().burstiness());
    }
    n.put("concurrency", w.concurrency());
    if (w.numRequests() != Integer.MAX_VALUE) n.put("num_requests", w.numRequests());
    number(n, "duration_s", w.durationSeconds());
    n.put("input_len", w.inputLengths().describe());
    number(n, "input_len_mean", w.inputLengths().mean());
    n.put("output_len", w.outputLengths().describe());
    number(n, "output_len_mean", w.outputLengths().mean());
    n.put("seed", w.seed());
    return n;
  }

  static ObjectNode summary(RunSummary s) {
    ObjectNode n = JSON.createObjectNode();
    n.put("completed", s.completed());
    n.put("failed", s.failed());
    number(n, "duration_s", s.durationSeconds());
    n.put("total_input_tokens", s.totalInputTokens());
    n.put("total_output_tokens", s.totalOutputTokens());
    number(n, "request_throughput", s.requestThroughput());
    number(n, "output_throughput", s.outputThroughput());
    number(n, "total_token_throughput", s.totalTokenThroughput());
    n.set("ttft_ms", stats(s.ttftMs()));
    n.set("tpot_ms", stats(s.tpotMs()));
    n.set("itl_ms", stats(s.itlMs()));
    n.set("e2e_latency_ms", stats(s.e2eMs()));
    if (s.preemptions() >= 0) n.put("preemptions", s.preemptions()); else n.putNull("preemptions");
    ObjectNode kv = n.putObject("kv_cache_usage");
    number(kv, "mean", s.kvUsageMean());
    number(kv, "peak", s.kvUsagePeak());
    if (s.maxRunning() >= 0) n.put("max_running", s.maxRunning()); else n.putNull("max_running");
    ArrayNode errors = n.putArray("errors");
    s.errors().forEach(errors::add);
    return n;
  }

  static ObjectNode stats(Percentiles.Stats s) {
    ObjectNode n = JSON.createObjectNode();
    number(n, "mean", s.mean());
    number(n, "p50", s.p50());
    number(n, "p90", s.p90());
    number(n, "p99", s.p99());
    number(n, "min", s.min());
    number(n, "max", s.max());
    return n;
  }

  /** One point per second: output tokens/s from chunk times, and the target's gauges. */
  static ArrayNode timeline(RunResult run) {
    ArrayNode a = JSON.createArrayNode();
    double[] tps = RunSummary.outputTokensPerSecond(run, 1.0);
    for (int i = 0; i < tps.length; i++) {
      ObjectNode p = a.addObject();
      p.put("t", i);
      number(p, "output_tokens_per_s", tps[i]);
      TargetSample s = sampleAt(run, run.startNanos() + (long) ((i + 1) * 1e9));
      if (s != null) {
        p.put("running", s.running());
        p.put("waiting", s.waiting());
        number(p, "kv_cache_usage", s.kvCacheUsage());
      }
    }
    return a;
  }

  /** The last sample taken at or before {@code nanos}. */
  static TargetSample sampleAt(RunResult run, long nanos) {
    TargetSample best = null;
    for (TargetSample s : run.samples()) {
      if (s.nanos() <= nanos) best = s;
    }
    return best;
  }

  static ArrayNode requests(RunResult run) {
    ArrayNode a = JSON.createArrayNode();
    for (RequestRecord r : run.records()) {
      ObjectNode n = a.addObject();
      n.put("index", r.index());
      n.put("prompt_tokens", r.promptTokens());
      n.put("output_tokens", r.outputTokens());
      number(n, "send_s", (r.sendNanos() - run.startNanos()) / 1e9);
      number(n, "ttft_ms", r.ttftSeconds() * 1e3);
      number(n, "tpot_ms", r.tpotSeconds() * 1e3);
      number(n, "e2e_ms", r.e2eSeconds() * 1e3);
      if (r.error() != null) n.put("error", r.error());
    }
    return a;
  }

  static void number(ObjectNode n, String key, double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) n.putNull(key);
    else n.put(key, v);
  }
}
