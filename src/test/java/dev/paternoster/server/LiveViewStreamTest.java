package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/engine/steps}: aggregated step updates over SSE, showing requests sharing a batch. */
class LiveViewStreamTest {
  @Test
  void updatesCarryTheStepsTheirBatchesAndTheKvPages() throws Exception {
    try (ServerFixture fx = ServerFixture.start(ServerFixture.smallEngine().build(), ServerOptions.local(0), 5)) {
      HttpResponse<Stream<String>> sse = fx.http.send(HttpRequest.newBuilder(URI.create(fx.url("/v1/engine/steps"))).build(),
          HttpResponse.BodyHandlers.ofLines());
      assertThat(sse.statusCode()).isEqualTo(200);
      assertThat(sse.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
      List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        requests.add(fx.http.sendAsync(ErrorsApiTest.post(fx, "{\"prompt\":\"Once upon a time\",\"max_tokens\":40,\"ignore_eos\":true}"),
            HttpResponse.BodyHandlers.ofString()));
      }
      int maxBatch = 0;
      int updates = 0;
      JsonNode shared = null;
      Iterator<String> lines = sse.body().iterator();
      long deadline = System.nanoTime() + 20_000_000_000L;
      while (maxBatch < 2 && System.nanoTime() < deadline && lines.hasNext()) {
        String line = lines.next();
        if (!line.startsWith("data: ")) continue;
        JsonNode u = Json.MAPPER.readTree(line.substring(6));
        updates++;
        assertThat(u.get("engine").get("kv_pages_total").asInt()).isEqualTo(256);
        for (JsonNode step : u.get("steps")) {
          if (step.get("batch").size() > maxBatch) {
            maxBatch = step.get("batch").size();
            shared = step;
          }
        }
      }
      sse.body().close();
      assertThat(updates).isGreaterThan(1);
      assertThat(maxBatch).as("a step with at least two requests").isGreaterThanOrEqualTo(2);
      JsonNode entry = shared.get("batch").get(0);
      assertThat(entry.get("id").asText()).startsWith("cmpl-");
      assertThat(entry.get("kind").asText()).isIn("prefill", "decode");
      assertThat(shared.get("used").asInt()).isPositive();
      for (var r : requests) assertThat(r.get().statusCode()).isEqualTo(200);
    }
  }
}
