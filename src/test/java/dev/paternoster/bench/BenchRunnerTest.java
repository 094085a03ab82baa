package dev.paternoster.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchRunnerTest {
  private static final TokenPool POOL = TokenPool.ofVocabSize(1000);

  private static BenchRunner runner() {
    return new BenchRunner(Duration.ofMillis(20), ProgressBar.silent());
  }

  @Test
  void closedLoopKeepsExactlyNClientsBusy() throws Exception {
    Workload w = new Workload(null, 3, 9, Double.POSITIVE_INFINITY, new LengthDistribution.Fixed(8),
        new LengthDistribution.Fixed(4), 0, POOL, 1);
    try (FakeOpenAiServer server = new FakeOpenAiServer(5);
        HttpTarget target = new HttpTarget(server.url(), Map.of(), Duration.ofSeconds(30))) {
      RunResult run = runner().run("closed", target, w);
      assertThat(run.records()).hasSize(9).allMatch(RequestRecord::succeeded);
      assertThat(run.records().stream().map(RequestRecord::index)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8);
      assertThat(server.maxInFlight.get()).isEqualTo(3);
      RunSummary s = RunSummary.of(run);
      assertThat(s.completed()).isEqualTo(9);
      assertThat(s.totalOutputTokens()).isEqualTo(36);
      assertThat(s.totalInputTokens()).isEqualTo(72);
      assertThat(s.ttftMs().p50()).isGreaterThan(4);
      assertThat(s.preemptions()).isZero(); // the fake's counter does not move
      assertThat(s.kvUsagePeak()).isEqualTo(0.5);
    }
  }

  @Test
  void openLoopSendsAtTheArrivalTimesAndRespectsTheInFlightCap() throws Exception {
    Workload w = new Workload(ArrivalProcess.poisson(200), 2, 12, Double.POSITIVE_INFINITY,
        new LengthDistribution.Fixed(4), new LengthDistribution.Uniform(2, 5), 0, POOL, 3);
    try (FakeOpenAiServer server = new FakeOpenAiServer(3);
        HttpTarget target = new HttpTarget(server.url(), Map.of(), Duration.ofSeconds(30))) {
      RunResult run = runner().run("open", target, w);
      assertThat(run.records()).hasSize(12).allMatch(RequestRecord::succeeded);
      assertThat(server.maxInFlight.get()).isLessThanOrEqualTo(2);
      double[] arrivals = w.arrivalTimes();
      for (RequestRecord r : run.records()) {
        assertThat((r.sendNanos() - run.startNanos()) / 1e9).isGreaterThanOrEqualTo(arrivals[r.index()] - 1e-3);
        assertThat(r.outputTokens()).isEqualTo(w.request(r.index(), 0).outputTokens());
      }
    }
  }

  @Test
  void reportJsonHasTheDocumentedShape() throws Exception {
    Workload w = new Workload(ArrivalProcess.immediate(), 0, 4, Double.POSITIVE_INFINITY, new LengthDistribution.Fixed(4),
        new LengthDistribution.Fixed(3), 0, POOL, 3);
    try (FakeOpenAiServer server = new FakeOpenAiServer(2);
        HttpTarget target = new HttpTarget(server.url(), Map.of(), Duration.ofSeconds(30))) {
      RunResult a = runner().run("static", target, w), b = runner().run("continuous", target, w);
      RunSummary sa = RunSummary.of(a), sb = RunSummary.of(b);
      Report report = new Report("compare", w).addRun(a, sa, true).addRun(b, sb, false)
          .setComparison(new Comparison(sa, sb));
      JsonNode json = new ObjectMapper().readTree(report.toJson());
      assertThat(json.path("version").asInt()).isEqualTo(Report.VERSION);
      assertThat(json.path("mode").asText()).isEqualTo("compare");
      assertThat(json.path("workload").path("num_requests").asInt()).isEqualTo(4);
      assertThat(json.path("workload").path("request_rate").isNull()).isTrue(); // infinite: null
      assertThat(json.path("runs")).hasSize(2);
      JsonNode run = json.path("runs").get(0);
      assertThat(run.path("label").asText()).isEqualTo("static");
      assertThat(run.path("target").path("kind").asText()).isEqualTo("http");
      assertThat(run.path("requests")).hasSize(4);
      assertThat(json.path("runs").get(1).has("requests")).isFalse();
      assertThat(run.path("timeline").isArray()).isTrue();
      JsonNode summary = json.path("summary");
      for (String key : List.of("completed", "failed", "duration_s", "total_input_tokens", "total_output_tokens",
          "request_throughput", "output_throughput", "total_token_throughput", "ttft_ms", "tpot_ms", "itl_ms",
          "e2e_latency_ms", "preemptions", "kv_cache_usage", "max_running", "errors")) {
        assertThat(summary.has(key)).as(key).isTrue();
      }
      for (String key : List.of("mean", "p50", "p90", "p99")) {
        assertThat(summary.path("ttft_ms").path(key).isNumber()).as(key).isTrue();
      }
      assertThat(summary.path("completed").asInt()).isEqualTo(4);
      assertThat(json.path("comparison").path("output_throughput_ratio").isNumber()).isTrue();
      assertThat(json.path("comparison").path("ttft_p50_ratio").isNumber()).isTrue();
      String svg = BenchPlots.serving("t", List.of(a, b));
      assertThat(SvgPlotTest.parse(svg).getElementsByTagName("polyline").getLength()).isGreaterThanOrEqualTo(6);
      assertThat(ConsoleReport.comparison(new Comparison(sa, sb))).contains("cont/static");
      assertThat(ConsoleReport.run(sa)).contains("Median TTFT (ms)").contains("Output token throughput");
    }
  }
}
