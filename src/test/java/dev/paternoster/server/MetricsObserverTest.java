package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.engine.Choice;
import dev.paternoster.engine.EngineSnapshot;
import dev.paternoster.engine.FinishReason;
import dev.paternoster.engine.GenerationResult;
import dev.paternoster.engine.RequestTimings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** vLLM-compatible names under the paternoster: prefix, without an engine. */
class MetricsObserverTest {
  @Test
  void namesValuesAndHistograms() {
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    var snap = new EngineSnapshot(3, 2, 100, 25, 5, 70, 16, 4, 1000, 500, 800, 200, 9, 77);
    var metrics = new MetricsObserver(registry, "tiny", () -> snap);
    metrics.onRequestFinished(new GenerationResult("r1", 10,
        List.of(new Choice(0, "abc", new int[] {1, 2, 3, 4, 5}, null, FinishReason.STOP, null),
            new Choice(1, "d", new int[] {6}, null, FinishReason.LENGTH, null)),
        6, new RequestTimings(0, 0.002, 0.03, 0.5, 0.02, 0)));
    System.gc(); // function meters must survive collection (Micrometer holds their state weakly)
    String s = registry.scrape();
    assertThat(s).contains(
        "paternoster:num_requests_running{model_name=\"tiny\"} 3.0",
        "paternoster:num_requests_waiting{model_name=\"tiny\"} 2.0",
        "paternoster:kv_cache_usage_perc{model_name=\"tiny\"} 0.25",
        "paternoster:prompt_tokens_total{model_name=\"tiny\"} 1000.0",
        "paternoster:generation_tokens_total{model_name=\"tiny\"} 500.0",
        "paternoster:num_preemptions_total{model_name=\"tiny\"} 4.0",
        "paternoster:prefix_cache_queries_total{model_name=\"tiny\"} 800.0",
        "paternoster:prefix_cache_hits_total{model_name=\"tiny\"} 200.0",
        "paternoster:time_to_first_token_seconds_count{model_name=\"tiny\"} 1",
        "paternoster:time_to_first_token_seconds_bucket{model_name=\"tiny\",le=\"0.04\"} 1",
        "paternoster:request_queue_time_seconds_count{model_name=\"tiny\"} 1",
        "paternoster:e2e_request_latency_seconds_count{model_name=\"tiny\"} 1",
        "paternoster:inter_token_latency_seconds_count{model_name=\"tiny\"} 4",
        "paternoster:request_success_total{finished_reason=\"stop\",model_name=\"tiny\"} 1.0",
        "paternoster:request_success_total{finished_reason=\"length\",model_name=\"tiny\"} 1.0",
        "# TYPE paternoster:time_to_first_token_seconds histogram");
  }
}
