package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /v1/completions and /v1/chat/completions against the real stories260K model. */
class CompletionsApiTest {
  static ServerFixture fx;

  @BeforeAll
  static void up() {
    fx = ServerFixture.start();
  }

  @AfterAll
  static void down() {
    if (fx != null) fx.close();
  }

  @Test
  void greedyCompletionTellsAStory() throws Exception {
    HttpResponse<String> r = fx.post("/v1/completions",
        "{\"model\":\"stories260K\",\"prompt\":\"Once upon a time\",\"max_tokens\":24,\"temperature\":0}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode j = ServerFixture.json(r);
    assertThat(j.get("id").asText()).startsWith("cmpl-");
    assertThat(j.get("object").asText()).isEqualTo("text_completion");
    assertThat(j.get("model").asText()).isEqualTo("stories260K");
    assertThat(j.get("created").asLong()).isPositive();
    JsonNode c = j.get("choices").get(0);
    assertThat(c.get("text").asText()).isNotBlank();
    assertThat(c.get("finish_reason").asText()).isIn("length", "stop");
    assertThat(j.get("usage").get("completion_tokens").asInt()).isBetween(1, 24);
    assertThat(j.get("usage").get("total_tokens").asInt())
        .isEqualTo(j.get("usage").get("prompt_tokens").asInt() + j.get("usage").get("completion_tokens").asInt());
  }
}
