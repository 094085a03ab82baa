package dev.paternoster.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsScraperTest {

  @Test
  void readsVllmStyleNamesWithAnyPrefixAndLabels() {
    String text = """
        # HELP paternoster_num_requests_running Requests running
        # TYPE paternoster_num_requests_running gauge
        paternoster_num_requests_running{model="m"} 3.0
        paternoster_num_requests_waiting{model="m"} 7
        paternoster_kv_cache_usage_perc{model="m"} 0.25
        paternoster_num_preemptions_total{model="m"} 12.0 1712345678
        paternoster_time_to_first_token_seconds_bucket{le="0.1"} 4
        """;
    Map<String, Double> m = MetricsScraper.parse(text);
    TargetSample s = MetricsScraper.sample(m, 5);
    assertThat(s.running()).isEqualTo(3);
    assertThat(s.waiting()).isEqualTo(7);
    assertThat(s.kvCacheUsage()).isEqualTo(0.25);
    assertThat(s.preemptionsTotal()).isEqualTo(12);
    assertThat(s.isKnown()).isTrue();
  }

  @Test
  void readsLlamaServerNames() {
    TargetSample s = MetricsScraper.sample(MetricsScraper.parse("""
        llamacpp:requests_processing 8
        llamacpp:requests_deferred 24
        llamacpp:kv_cache_usage_ratio 0.5
        """), 0);
    assertThat(s.running()).isEqualTo(8);
    assertThat(s.waiting()).isEqualTo(24);
    assertThat(s.kvCacheUsage()).isEqualTo(0.5);
    assertThat(s.preemptionsTotal()).isEqualTo(-1);
  }

  @Test
  void unrelatedMetricsAreUnknown() {
    assertThat(MetricsScraper.sample(MetricsScraper.parse("jvm_memory_used_bytes{area=\"heap\"} 1e6\n"), 0).isKnown()).isFalse();
  }
}
