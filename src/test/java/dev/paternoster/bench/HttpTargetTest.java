package dev.paternoster.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpTargetTest {

  @Test
  void streamsACompletionAndTimesItsChunks() throws Exception {
    try (FakeOpenAiServer server = new FakeOpenAiServer(5);
        HttpTarget target = new HttpTarget(server.url(), Map.of(3, -100f, 4, -100f), Duration.ofSeconds(30))) {
      assertThat(target.reportedVocabSize()).isEqualTo(1000);
      assertThat(target.info()).containsEntry("model", "fake-model").containsEntry("metrics", true);
      RequestRecord r = target.send(new RequestSpec(0, 0, new int[] {300, 301, 302}, 6));
      assertThat(r.succeeded()).as(r.error()).isTrue();
      assertThat(r.outputTokens()).isEqualTo(6);
      assertThat(r.chunkNanos()).hasSize(6);
      assertThat(r.ttftSeconds()).isGreaterThan(0.004);
      assertThat(r.itlSeconds()).hasSize(5);
      // chunks are 5 ms apart; on a busy machine two may be read together, so check the median
      assertThat(Percentiles.percentile(r.itlSeconds(), 50)).isGreaterThan(0.003);
      assertThat(java.util.Arrays.stream(r.itlSeconds()).sum()).isGreaterThan(0.018);
      assertThat(r.tpotSeconds()).isGreaterThan(0.003);

      JsonNode body = server.bodies.getFirst();
      assertThat(body.path("model").asText()).isEqualTo("fake-model");
      assertThat(body.path("prompt").toString()).isEqualTo("[300,301,302]");
      assertThat(body.path("max_tokens").asInt()).isEqualTo(6);
      assertThat(body.path("ignore_eos").asBoolean()).isTrue();
      assertThat(body.path("stream").asBoolean()).isTrue();
      assertThat(body.path("stream_options").path("include_usage").asBoolean()).isTrue();
      assertThat(body.path("logit_bias").path("3").asDouble()).isEqualTo(-100);
      assertThat(body.path("temperature").asDouble()).isZero();

      TargetSample s = target.sample();
      assertThat(s.kvCacheUsage()).isEqualTo(0.5);
      assertThat(s.preemptionsTotal()).isEqualTo(2);
    }
  }

  @Test
  void httpErrorsAreRecordedNotThrown() throws Exception {
    try (FakeOpenAiServer server = new FakeOpenAiServer(1);
        HttpTarget target = new HttpTarget(server.url(), Map.of(), Duration.ofSeconds(30))) {
      RequestRecord r = target.send(new RequestSpec(3, 0, new int[] {300}, 999));
      assertThat(r.succeeded()).isFalse();
      assertThat(r.error()).contains("HTTP 400").contains("bad max_tokens");
      assertThat(r.index()).isEqualTo(3);
    }
  }
}
