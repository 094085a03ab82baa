package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.TestModels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code paternoster serve} as a real process: it prints its URL and a curl command, answers, and on
 * SIGTERM ({@link Process#destroy()}) lets the running request finish and exits 0.
 */
class ServeProcessTest {
  private static final Pattern URL = Pattern.compile("serving '([^']+)' at (http://\\S+)");

  @Test
  void sigtermDrainsTheRunningRequestAndExitsZero() throws Exception {
    Path model = TestModels.stories260K();
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(javaBin, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"), "dev.paternoster.cli.Main", "serve",
        "--model", model.toString(), "--port", "0", "--grace-period", "30", "--threads", "1"));
    Path log = Files.createTempFile("paternoster-serve", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      String base = null;
      for (int i = 0; i < 600 && base == null; i++) {
        Matcher m = URL.matcher(Files.readString(log));
        if (m.find()) base = m.group(2);
        else Thread.sleep(100);
      }
      assertThat(base).as(Files.readString(log)).isNotNull();
      HttpClient http = HttpClient.newHttpClient();
      assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(200);
      assertThat(Files.readString(log)).contains("curl " + base + "/v1/completions");
      // A request long enough to still be running when SIGTERM arrives.
      CompletableFuture<HttpResponse<String>> running = http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Once\",\"max_tokens\":400,\"ignore_eos\":true,\"n\":2}")).build(),
          HttpResponse.BodyHandlers.ofString());
      for (int i = 0; i < 500; i++) {
        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        if (metrics.lines().anyMatch(l -> l.startsWith("paternoster:num_requests_running{") && !l.endsWith(" 0.0"))) break;
        Thread.sleep(5);
      }
      p.destroy(); // SIGTERM
      HttpResponse<String> answer = running.get(60, TimeUnit.SECONDS);
      assertThat(answer.statusCode()).isEqualTo(200);
      JsonNode j = Json.MAPPER.readTree(answer.body());
      assertThat(j.get("choices").get(0).get("finish_reason").asText()).as("drained, not aborted").isEqualTo("length");
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String output = Files.readString(log);
      assertThat(p.exitValue()).as(output).isZero();
      assertThat(output).contains("paternoster: shutting down", "stopped");
    } finally {
      if (p.isAlive()) p.destroyForcibly();
    }
  }

  @Test
  void noModelAnywhereIsAClearMessage() throws Exception {
    String javaBin = ProcessHandle.current().info().command().orElse("java");
    Path empty = java.nio.file.Files.createTempDirectory("paternoster-no-model");
    Process p = new ProcessBuilder(javaBin, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
        "dev.paternoster.cli.Main", "serve", "--port", "0")
        .directory(empty.toFile()).redirectErrorStream(true).start();
    p.getOutputStream().close();
    var env = new ProcessBuilder().environment();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    if (env.containsKey(ModelLocator.ENV)) return; // the environment names a model: nothing to check here
    assertThat(p.exitValue()).isEqualTo(1);
    assertThat(out).contains("no model to serve", "--model", ModelLocator.ENV);
  }
}
