package dev.paternoster.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.cli.ServeCommand;
import dev.paternoster.server.ServerOptions;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Security basics: the API key guards every API route (and is compared in constant time), the
 * server binds the loopback interface unless told otherwise and warns when exposed without a key,
 * and oversized headers or URIs are refused with a 4xx, never a 500 or a stack trace.
 */
class SecurityTest {
  static final String KEY = "s3cret-key-for-tests";
  static ReliabilityServer fx;

  @BeforeAll
  static void up() {
    fx = ReliabilityServer.start(ReliabilityServer.engineConfig().build(), ServerOptions.local(0).withApiKey(KEY));
  }

  @AfterAll
  static void down() {
    if (fx != null) fx.close();
  }

  record Route(String method, String path, String body) {}

  /** Every route under the key: the OpenAI API, tokenizer routes and the live step stream. */
  static final List<Route> PROTECTED = List.of(
      new Route("GET", "/v1/models", null),
      new Route("POST", "/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":2}"),
      new Route("POST", "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":2}"),
      new Route("POST", "/tokenize", "{\"prompt\":\"Hi\"}"),
      new Route("POST", "/detokenize", "{\"tokens\":[1,2]}"),
      new Route("GET", "/v1/engine/steps", null),
      new Route("GET", "/v1/no-such-route", null),
      new Route("POST", "/v1/embeddings", "{}"));

  static HttpResponse<String> send(Route r, String authorization) throws Exception {
    HttpRequest.Builder b = fx.request(r.path());
    if (authorization != null) b.header("Authorization", authorization);
    if (r.body() != null) b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(r.body()));
    else b.GET();
    return fx.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void everyApiRouteNeedsTheKey() throws Exception {
    String[] wrong = {null, "", "Bearer", "Bearer ", "Bearer wrong", "Bearer " + KEY.substring(0, KEY.length() - 1),
        "Bearer " + KEY + "x", "Basic " + KEY, KEY, "Bearer " + KEY.toUpperCase(), "Bearer  " + KEY + "\u00e9"};
    for (Route r : PROTECTED) {
      for (String auth : wrong) {
        HttpResponse<String> resp = send(r, auth);
        assertThat(resp.statusCode()).as("%s %s with Authorization '%s': %s", r.method(), r.path(), auth, resp.body()).isEqualTo(401);
        var e = ErrorBodies.assertApiError(401, resp.body());
        assertThat(e.get("type").asText()).isEqualTo("authentication_error");
        assertThat(resp.body()).doesNotContain(KEY);
      }
    }
  }

  @Test
  void theRightKeyOpensEveryApiRoute() throws Exception {
    for (Route r : PROTECTED) {
      if (r.path().equals("/v1/engine/steps")) continue; // an endless SSE stream; its 401 is what matters here
      int status = send(r, "Bearer " + KEY).statusCode();
      if (r.path().startsWith("/v1/no-such") || r.path().equals("/v1/embeddings")) assertThat(status).isEqualTo(404);
      else assertThat(status).as(r.path()).isEqualTo(200);
    }
    assertThat(send(PROTECTED.get(1), "bearer " + KEY).statusCode()).as("the scheme is case-insensitive (RFC 7235)").isEqualTo(200);
  }

  /**
   * Regression: Jetty's per-connection header cache matched header values case-insensitively, so
   * after one good request a kept-alive connection accepted the key in any letter case (and, the
   * other way round, refused the right key after a wrong-case one).
   */
  @Test
  void theKeyIsCaseSensitiveOnAKeptAliveConnection() throws Exception {
    String[] sequence = {"Bearer " + KEY, "Bearer " + KEY.toUpperCase(), "Bearer " + KEY, "Bearer " + KEY.toUpperCase()};
    int[] expected = {200, 401, 200, 401};
    for (int round = 0; round < 2; round++) {
      try (RawHttp raw = RawHttp.open(fx.port(), 10_000)) {
        for (int i = 0; i < sequence.length; i++) {
          int k = round == 0 ? i : sequence.length - 1 - i; // also starting with the wrong case
          raw.writeRaw(("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + sequence[k] + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
          raw.readAll();
          assertThat(raw.status).as("request %d (%s) on one connection", i, sequence[k]).isEqualTo(expected[k]);
        }
      }
    }
  }

  /** Documented: probes and scrapers need no key (as vLLM): /health, /metrics and the live page. */
  @Test
  void healthMetricsAndTheLivePageStayOpen() throws Exception {
    assertThat(fx.get("/health").statusCode()).isEqualTo(200);
    assertThat(fx.get("/metrics").statusCode()).isEqualTo(200);
    assertThat(fx.get("/").statusCode()).isEqualTo(200);
  }

  @Test
  void theKeyIsComparedInConstantTime() throws Exception {
    Path src = Path.of("src/main/java/dev/paternoster/server/ApiKeyAuth.java");
    String code = Files.readString(src, StandardCharsets.UTF_8);
    assertThat(code).as("ApiKeyAuth compares with MessageDigest.isEqual (time independent of where a guess differs)")
        .contains("MessageDigest.isEqual(");
    assertThat(code).as("no early-exit comparison of the key").doesNotContain("expected.equals(", "Arrays.equals(", ".equals(token");
  }

  @Test
  void theServerBindsTheLoopbackInterfaceByDefault() {
    assertThat(new ServerOptions(null, 0, null, 1).host()).isEqualTo("127.0.0.1");
    CommandLine cl = new CommandLine(new ServeCommand());
    cl.parseArgs();
    assertThat((String) cl.getCommandSpec().findOption("--host").getValue()).isEqualTo("127.0.0.1");
    assertThat(fx.server.baseUrl()).startsWith("http://127.0.0.1:");
  }

  @Test
  void bindingBeyondLoopbackWithoutAKeyIsWarnedAbout() {
    for (String exposed : new String[] {"0.0.0.0", "::", "192.0.2.10", "no-such-host.invalid"}) {
      assertThat(new ServerOptions(exposed, 0, null, 1).exposureWarning()).as(exposed).contains("without --api-key", exposed);
      assertThat(new ServerOptions(exposed, 0, "k", 1).exposureWarning()).as(exposed + " with a key").isNull();
    }
    for (String local : new String[] {"127.0.0.1", "::1", "localhost", "127.0.0.2"}) {
      assertThat(new ServerOptions(local, 0, null, 1).exposureWarning()).as(local).isNull();
    }
  }

  @Test
  void hugeHeaderIsRefusedWithA4xxNotA500() throws Exception {
    for (String extra : new String[] {
        "X-Big: " + "a".repeat(64 * 1024) + "\r\n",
        "X-Many: b\r\n".repeat(5000),
        "Authorization: Bearer " + "k".repeat(100_000) + "\r\n"}) {
      try (RawHttp raw = RawHttp.open(fx.port(), 10_000)) {
        String body;
        try {
          raw.post("/v1/completions", "{\"prompt\":\"Hi\"}".getBytes(StandardCharsets.UTF_8), extra);
        } catch (java.io.IOException refusedMidUpload) {
          // Jetty answers as soon as the limit is passed and closes; our write of the rest may fail.
        }
        try {
          body = raw.readAll();
        } catch (java.io.IOException reset) {
          continue; // the close reset the connection before the answer was read: refused all the same
        }
        assertThat(raw.status).as(body).isIn(400, 413, 431);
        ErrorBodies.assertApiError(raw.status, body); // Jetty's own refusals are OpenAI-shaped JSON too
      }
    }
    try (RawHttp raw = RawHttp.open(fx.port(), 10_000)) {
      raw.writeRaw(("GET /v1/models?" + "q".repeat(64 * 1024) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      String body = raw.readAll();
      assertThat(raw.status).as(body).isIn(400, 414, 431);
      ErrorBodies.assertApiError(raw.status, body);
    }
    assertThat(send(PROTECTED.get(1), "Bearer " + KEY).statusCode()).as("still serving").isEqualTo(200);
  }

  @Test
  void malformedHttpIsA400NotA500() throws Exception {
    String[] garbage = {
        "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
        "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}",
        "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "BREW /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "\u0000\u0001\u0002 nonsense\r\n\r\n"};
    for (String g : garbage) {
      try (RawHttp raw = RawHttp.open(fx.port(), 10_000)) {
        raw.writeRaw(g.getBytes(StandardCharsets.ISO_8859_1));
        String body;
        try {
          body = raw.readAll();
        } catch (java.io.IOException closed) {
          continue; // closing the connection is also a fine answer to garbage
        }
        assertThat(raw.status).as("%s -> %s", g, body).isBetween(400, 499);
        ErrorBodies.assertNoStackTrace(body);
      }
    }
  }
}
