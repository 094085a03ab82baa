package dev.paternoster.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.TestModels;
import dev.paternoster.server.ServerOptions;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults inside the engine: an exception in one forward step fails only the request that caused
 * it (a 500 saying so), while requests sharing its steps complete with exactly their normal text
 * and the engine serves on; a model file deleted after loading does not take the server down.
 */
class FaultInjectionTest {
  ReliabilityServer fx;

  @AfterEach
  void down() {
    if (fx != null) fx.close();
  }

  /** The byte token {@code <0x00>}: never produced from text and never sampled by a greedy story. */
  static int poisonToken(ReliabilityServer fx) {
    var t = fx.model.tokenizer();
    for (int id = 0; id < t.vocabSize(); id++) if (t.tokenText(id).equals("<0x00>")) return id;
    throw new AssertionError("no <0x00> token in the vocabulary");
  }

  static String innocent(int i, boolean stream) {
    String[] starts = {"Once upon a time", "The little dog", "Lily and Ben", "One day, a bird"};
    return "{\"prompt\":\"" + starts[i % starts.length] + "\",\"max_tokens\":120,\"temperature\":0,\"ignore_eos\":true"
        + (stream ? ",\"stream\":true" : "") + "}";
  }

  static String text(HttpResponse<String> r, boolean stream) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    if (!stream) return ReliabilityServer.json(r.body()).get("choices").get(0).get("text").asText();
    StringBuilder sb = new StringBuilder();
    for (JsonNode c : Sse.chunks(r.body())) {
      assertThat(c.has("error")).as("innocent stream carries an error: %s", c).isFalse();
      sb.append(c.get("choices").get(0).get("text").asText());
    }
    return sb.toString();
  }

  @Test
  void aFailingStepFailsOnlyTheRequestThatCausedItAndTheEngineServesOn() throws Exception {
    fx = ReliabilityServer.start(ReliabilityServer.engineConfig().maxNumSeqs(8).build(), ServerOptions.local(0));
    int poison = poisonToken(fx);
    List<String> reference = new ArrayList<>();
    for (int i = 0; i < 4; i++) reference.add(text(fx.post("/v1/completions", innocent(i, false)), false));

    fx.faulty.poisonToken = poison;
    fx.faulty.stepMillis = 3; // the innocents are surely still decoding when the poison arrives
    for (int round = 0; round < 3; round++) {
      List<CompletableFuture<HttpResponse<String>>> innocents = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        innocents.add(fx.http.sendAsync(fx.request("/v1/completions").header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(innocent(i, i % 2 == 1))).build(), HttpResponse.BodyHandlers.ofString()));
      }
      ReliabilityServer.await("4 innocents running", () -> fx.engine.snapshot().running() >= 4, java.time.Duration.ofSeconds(20));
      long faultsBefore = fx.faulty.faults.get();

      // Poison in the prompt (fails in its prefill step), on both endpoints and both response kinds.
      HttpResponse<String> plain = fx.post("/v1/completions", "{\"prompt\":[1, 400, " + poison + ", 300],\"max_tokens\":5}");
      assertThat(plain.statusCode()).as(plain.body()).isEqualTo(500);
      JsonNode e = ErrorBodies.assertApiError(500, plain.body());
      assertThat(e.get("type").asText()).isEqualTo("server_error");
      assertThat(e.get("message").asText()).contains("Generation failed inside the engine", FaultyModel.FAULT_MESSAGE);

      HttpResponse<String> streamed = fx.post("/v1/completions", "{\"prompt\":[1, " + poison + "],\"max_tokens\":5,\"stream\":true}");
      assertThat(streamed.statusCode()).isEqualTo(200); // headers were sent before the step failed
      JsonNode streamError = Sse.chunks(streamed.body()).stream().filter(c -> c.has("error")).findFirst().orElseThrow();
      assertThat(streamError.get("error").get("message").asText()).contains(FaultyModel.FAULT_MESSAGE);
      assertThat(streamed.body()).contains("data: [DONE]");

      HttpResponse<String> chat = fx.post("/v1/chat/completions",
          "{\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000b\"}],\"max_tokens\":5}");
      // NUL in chat content becomes the <0x00> byte token (byte fallback), so chat reaches the fault too.
      assertThat(fx.model.tokenizer().encode("a\u0000b", false, false)).contains(poison);
      assertThat(chat.statusCode()).as(chat.body()).isEqualTo(500);
      assertThat(ErrorBodies.assertApiError(500, chat.body()).get("message").asText()).contains(FaultyModel.FAULT_MESSAGE);
      assertThat(fx.faulty.faults.get()).as("the fault was injected").isGreaterThan(faultsBefore);

      for (int i = 0; i < 4; i++) {
        assertThat(text(innocents.get(i).get(60, TimeUnit.SECONDS), i % 2 == 1))
            .as("innocent request %d completes with its normal text", i).isEqualTo(reference.get(i));
      }
      fx.awaitSettled();
    }

    fx.faulty.stepMillis = 0;
    for (int i = 0; i < 4; i++) {
      assertThat(text(fx.post("/v1/completions", innocent(i, false)), false)).as("served after the faults").isEqualTo(reference.get(i));
    }
    fx.awaitSettled();
    String metrics = fx.get("/metrics").body();
    assertThat(metrics).contains("finished_reason=\"error\"");
  }

  @Test
  void aFaultWithoutAMessageIsDescribedInWordsNotJavaNames() throws Exception {
    fx = ReliabilityServer.start();
    int poison = poisonToken(fx);
    fx.faulty.poisonToken = poison;
    for (java.util.function.Supplier<RuntimeException> f : List.<java.util.function.Supplier<RuntimeException>>of(
        NullPointerException::new, ArrayIndexOutOfBoundsException::new, () -> new ClassCastException(""))) {
      fx.faulty.fault = f;
      HttpResponse<String> r = fx.post("/v1/completions", "{\"prompt\":[1, " + poison + "],\"max_tokens\":5}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(500);
      JsonNode e = ErrorBodies.assertApiError(500, r.body()); // no class names, no stack frames
      assertThat(e.get("message").asText()).contains("Generation failed inside the engine", "see the server log");
    }
    fx.awaitSettled();
  }

  @Test
  void aModelFileDeletedAfterLoadingKeepsServing(@TempDir Path dir) throws Exception {
    Path copy = dir.resolve("stories260K.gguf");
    Files.copy(TestModels.stories260K(), copy);
    fx = ReliabilityServer.start(copy, ReliabilityServer.engineConfig().build(), ServerOptions.local(0));
    String before = text(fx.post("/v1/completions", innocent(0, false)), false);
    Files.delete(copy);
    assertThat(copy).doesNotExist();
    System.gc(); // nothing may depend on the path any more, not even through a collected reference
    for (int i = 0; i < 3; i++) {
      assertThat(text(fx.post("/v1/completions", innocent(0, false)), false)).isEqualTo(before);
      assertThat(text(fx.post("/v1/completions", innocent(1, true)), true)).isNotEmpty();
      HttpResponse<String> chat = fx.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":8}");
      assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
      assertThat(fx.get("/v1/models").statusCode()).isEqualTo(200);
      assertThat(fx.post("/tokenize", "{\"prompt\":\"Hello\"}").statusCode()).isEqualTo(200);
    }
    assertThat(fx.get("/health").statusCode()).isEqualTo(200);
    fx.awaitSettled();
  }
}
