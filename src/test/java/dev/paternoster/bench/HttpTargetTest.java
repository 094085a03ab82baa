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
      // The server sleeps 5 ms before each chunk: the first and the last bound what the client can
      // see. (The gaps in between depend on scheduling when the machine is busy, so not checked.)
      assertThat(r.ttftSeconds()).isGreaterThan(0.004);
      assertThat(r.e2eSeconds()).isGreaterThan(0.029);
      assertThat(r.itlSeconds()).hasSize(5);
      assertThat(java.util.Arrays.stream(r.itlSeconds())).allMatch(g -> g >= 0);
      assertThat(java.util.Arrays.stream(r.itlSeconds()).sum()).isLessThanOrEqualTo(r.e2eSeconds() - r.ttftSeconds());
      assertThat(r.tpotSeconds()).isPositive();

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

  /**
   * A request whose pooled connection the server closes before answering (llama-server ends
   * keep-alive connections) is sent once more on a new connection, and counted.
   */
  @Test
  void aCompletionOnAConnectionTheServerDroppedIsSentAgain() throws Exception {
    try (DroppingServer server = new DroppingServer(false);
        HttpTarget target = new HttpTarget(server.url(), Map.of(), Duration.ofSeconds(30))) {
      RequestRecord r = target.send(new RequestSpec(0, 0, new int[] {1, 2}, 3));
      assertThat(r.succeeded()).as(r.error()).isTrue();
      assertThat(r.outputTokens()).isEqualTo(3);
      assertThat(server.dropped.get()).isEqualTo(1);
      assertThat(server.answered.get()).isEqualTo(1);
      assertThat(target.info()).containsEntry("retried_requests", 1);
    }
  }

  /** Only once: a server that drops every completion leaves the request failed, not retried forever. */
  @Test
  void aSecondDropFailsTheRequest() throws Exception {
    try (DroppingServer server = new DroppingServer(true);
        HttpTarget target = new HttpTarget(server.url(), Map.of(), Duration.ofSeconds(30))) {
      RequestRecord r = target.send(new RequestSpec(0, 0, new int[] {1, 2}, 3));
      assertThat(r.succeeded()).isFalse();
      assertThat(r.error()).startsWith("IOException");
      assertThat(server.dropped.get()).isEqualTo(2);
      assertThat(target.info()).containsEntry("retried_requests", 1);
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
