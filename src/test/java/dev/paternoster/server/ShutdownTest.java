package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Graceful shutdown in-process: stop accepting, let running requests finish within the grace period, abort the rest. */
class ShutdownTest {

  @Test
  void runningRequestsFinishWithinTheGracePeriodWhileNewOnesGet503() throws Exception {
    try (ServerFixture fx = ServerFixture.start(ServerFixture.smallEngine().build(), ServerOptions.local(0), 10)) {
      CompletableFuture<HttpResponse<String>> running = fx.http.sendAsync(
          ErrorsApiTest.post(fx, "{\"prompt\":\"Once\",\"max_tokens\":40,\"ignore_eos\":true}"), HttpResponse.BodyHandlers.ofString());
      ErrorsApiTest.await(() -> fx.engine.snapshot().running() == 1);
      Thread shutdown = Thread.ofVirtual().start(() -> fx.server.shutdown(Duration.ofSeconds(30)));
      ErrorsApiTest.await(() -> fx.server.state() == OpenAiServer.State.DRAINING);
      HttpResponse<String> refused = fx.post("/v1/completions", "{\"prompt\":\"Hi\"}");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(ServerFixture.json(refused).get("error").get("message").asText()).contains("shutting down");
      assertThat(fx.get("/health").statusCode()).isEqualTo(503);
      JsonNode done = ServerFixture.json(running.get());
      assertThat(done.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
      assertThat(done.get("usage").get("completion_tokens").asInt()).isEqualTo(40);
      shutdown.join(10_000);
      assertThat(fx.server.state()).isEqualTo(OpenAiServer.State.STOPPED);
    }
  }

  @Test
  void whatOutlivesTheGracePeriodIsAbortedAndAnswered() throws Exception {
    try (ServerFixture fx = ServerFixture.start(ServerFixture.smallEngine().build(), ServerOptions.local(0), 20)) {
      CompletableFuture<HttpResponse<String>> stream = fx.http.sendAsync(
          ErrorsApiTest.post(fx, "{\"prompt\":\"Once\",\"max_tokens\":900,\"ignore_eos\":true,\"stream\":true}"), HttpResponse.BodyHandlers.ofString());
      CompletableFuture<HttpResponse<String>> whole = fx.http.sendAsync(
          ErrorsApiTest.post(fx, "{\"prompt\":\"Once\",\"max_tokens\":900,\"ignore_eos\":true}"), HttpResponse.BodyHandlers.ofString());
      ErrorsApiTest.await(() -> fx.engine.snapshot().running() == 2);
      long t0 = System.nanoTime();
      fx.server.shutdown(Duration.ofMillis(300));
      assertThat((System.nanoTime() - t0) / 1e9).isLessThan(10);
      JsonNode last = Sse.chunks(stream.get().body()).getLast();
      assertThat(last.get("choices").get(0).get("finish_reason").asText()).isEqualTo("abort");
      assertThat(Sse.data(stream.get().body()).getLast()).isEqualTo("[DONE]");
      assertThat(ServerFixture.json(whole.get()).get("choices").get(0).get("finish_reason").asText()).isEqualTo("abort");
    }
  }
}
