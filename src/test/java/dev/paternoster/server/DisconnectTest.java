package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.engine.EngineSnapshot;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client that goes away aborts its request, whether it was streaming, waiting for a whole answer,
 * or still queued: afterwards nothing runs and no KV page is held (cached prefix pages may stay).
 * The model is slowed to 20 ms a step so that the requests are surely still going when the client leaves.
 */
class DisconnectTest {
  static final String LONG = "\"prompt\":\"Once upon a time\",\"max_tokens\":900,\"ignore_eos\":true";
  ServerFixture fx;

  @BeforeEach
  void up() {
    fx = ServerFixture.start(ServerFixture.smallEngine().maxNumSeqs(1).build(), ServerOptions.local(0), 20);
  }

  @AfterEach
  void down() {
    if (fx != null) fx.close();
  }

  /** Sends a request on a raw socket (so the test controls exactly when the connection closes). */
  Socket send(String body) throws Exception {
    Socket s = new Socket("127.0.0.1", fx.server.port());
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    OutputStream out = s.getOutputStream();
    out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
        + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(b);
    out.flush();
    return s;
  }

  void awaitIdle() throws InterruptedException {
    ErrorsApiTest.await(() -> {
      EngineSnapshot s = fx.engine.snapshot();
      return s.running() == 0 && s.waiting() == 0 && s.kvPagesUsed() == 0 && fx.server.inFlight().size() == 0;
    });
  }

  double aborted() throws Exception {
    String scrape = fx.server.registry().scrape();
    return scrape.contains("finished_reason=\"abort\"")
        ? CompletionsApiTest.metric(scrape.lines().filter(l -> l.contains("finished_reason=\"abort\"")).findFirst().orElseThrow()
            .replaceFirst("\\{.*}", ""), "paternoster:request_success_total")
        : 0;
  }

  @Test
  void streamingClientThatLeavesAbortsItsRequest() throws Exception {
    try (Socket s = send("{" + LONG + ",\"stream\":true}")) {
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String line;
      int chunks = 0;
      while ((line = in.readLine()) != null && chunks < 3) if (line.startsWith("data: ")) chunks++;
      assertThat(chunks).isEqualTo(3);
      assertThat(fx.engine.snapshot().running()).isEqualTo(1);
    }
    awaitIdle();
    assertThat(aborted()).isEqualTo(1);
  }

  @Test
  void nonStreamingClientThatLeavesAbortsItsRequest() throws Exception {
    try (Socket s = send("{" + LONG + "}")) {
      ErrorsApiTest.await(() -> fx.engine.snapshot().running() == 1 && fx.engine.snapshot().kvPagesUsed() > 0);
      Thread.sleep(100); // generating, nothing written to the client yet
    }
    awaitIdle();
    assertThat(aborted()).isEqualTo(1);
  }

  @Test
  void queuedClientThatLeavesIsRemovedFromTheQueue() throws Exception {
    try (Socket running = send("{" + LONG + "}")) {
      ErrorsApiTest.await(() -> fx.engine.snapshot().running() == 1);
      try (Socket queued = send("{" + LONG + ",\"stream\":true}")) {
        ErrorsApiTest.await(() -> fx.engine.snapshot().waiting() == 1);
      }
      ErrorsApiTest.await(() -> fx.engine.snapshot().waiting() == 0);
      assertThat(fx.engine.snapshot().running()).as("the other request goes on").isEqualTo(1);
    }
    awaitIdle();
    assertThat(aborted()).isEqualTo(2);
  }

  @Test
  void keepAliveStillWorksAfterNonStreamingAnswers() throws Exception {
    // The disconnect watch is withdrawn before each answer, so one connection serves many requests.
    try (Socket s = new Socket("127.0.0.1", fx.server.port())) {
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      for (int i = 0; i < 3; i++) {
        byte[] b = "{\"prompt\":\"Hi\",\"max_tokens\":3}".getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
            + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().write(b);
        String status = in.readLine();
        assertThat(status).isEqualTo("HTTP/1.1 200 OK");
        int length = 0;
        for (String h; !(h = in.readLine()).isEmpty(); ) {
          if (h.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(h.substring(15).trim());
        }
        char[] body = new char[length];
        int read = 0;
        while (read < length) read += in.read(body, read, length - read);
        assertThat(new String(body)).contains("\"text_completion\"");
      }
    }
  }
}
