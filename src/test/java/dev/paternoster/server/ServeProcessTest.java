package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code paternoster serve} as a real process: it prints its URL and a curl command and answers; the
 * first SIGTERM ({@link Process#destroy()}) stops it accepting and lets running requests finish, a
 * second one aborts what is left, and it exits 0.
 */
class ServeProcessTest {
  private static final Pattern URL = Pattern.compile("serving '([^']+)' at (http://\\S+)");

  static String javaBin() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  @Test
  void sigtermDrainsThenASecondSignalAbortsAndTheExitCodeIsZero() throws Exception {
    Path model = TestModels.stories260K();
    Path log = Files.createTempFile("paternoster-serve", ".log");
    Process p = new ProcessBuilder(List.of(javaBin(), "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), "dev.paternoster.cli.Main", "serve",
        "--model", model.toString(), "--port", "0", "--grace-period", "120", "--threads", "1"))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      String base = null;
      for (int i = 0; i < 600 && base == null && p.isAlive(); i++) {
        Matcher m = URL.matcher(Files.readString(log));
        if (m.find()) base = m.group(2);
        else Thread.sleep(100);
      }
      assertThat(base).as(Files.readString(log)).isNotNull();
      assertThat(Files.readString(log)).contains("curl " + base + "/v1/completions");
      HttpClient http = HttpClient.newHttpClient();
      assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(200);

      // A short request that the drain lets finish, and one far longer than the test that only the second signal ends.
      CompletableFuture<HttpResponse<String>> shortOne = http.sendAsync(completion(base, "{\"prompt\":\"Once\",\"max_tokens\":80,\"ignore_eos\":true}"),
          HttpResponse.BodyHandlers.ofString());
      CompletableFuture<HttpResponse<String>> longOne = http.sendAsync(
          completion(base, "{\"prompt\":\"Once\",\"max_tokens\":2000,\"ignore_eos\":true,\"n\":16,\"stream\":true}"),
          HttpResponse.BodyHandlers.ofString());
      for (int i = 0; i < 1000; i++) {
        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        if (metrics.lines().anyMatch(l -> l.startsWith("paternoster:num_requests_running{") && l.endsWith(" 17.0"))) break;
        Thread.sleep(5);
      }

      p.destroy(); // SIGTERM: stop accepting, drain within the 120 s grace period
      JsonNode drained = Json.MAPPER.readTree(shortOne.get(60, TimeUnit.SECONDS).body());
      assertThat(drained.get("choices").get(0).get("finish_reason").asText()).as("drained, not aborted").isEqualTo("length");
      assertThat(p.isAlive()).as("still draining the long request").isTrue();
      HttpResponse<String> refused = http.send(completion(base, "{\"prompt\":\"Hi\"}"), HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(503);

      long t0 = System.nanoTime();
      p.destroy(); // second SIGTERM: abort now
      HttpResponse<String> aborted = longOne.get(30, TimeUnit.SECONDS);
      assertThat(Sse.data(aborted.body()).getLast()).isEqualTo("[DONE]");
      assertThat(aborted.body()).contains("\"finish_reason\":\"abort\"");
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat((System.nanoTime() - t0) / 1e9).isLessThan(20);
      String output = Files.readString(log);
      assertThat(p.exitValue()).as(output).isZero();
      assertThat(output).contains("paternoster: shutting down", "aborting running requests", "stopped");
    } finally {
      if (p.isAlive()) p.destroyForcibly();
    }
  }

  private static HttpRequest completion(String base, String body) {
    return HttpRequest.newBuilder(URI.create(base + "/v1/completions")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  @Test
  void noModelAnywhereIsAClearMessage() throws Exception {
    Path empty = Files.createTempDirectory("paternoster-no-model");
    ProcessBuilder pb = new ProcessBuilder(javaBin(), "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
        "-Dpaternoster.home=" + empty, "dev.paternoster.cli.Main", "serve", "--port", "0")
        .directory(empty.toFile()).redirectErrorStream(true);
    pb.environment().remove(ModelLocator.ENV);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isEqualTo(1);
    assertThat(out).contains("no model to serve", "--model", ModelLocator.ENV, "./models/");
  }
}
