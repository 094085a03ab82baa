package dev.paternoster.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.server.ServerOptions;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Clients that are slow rather than gone: a stream reader that stops reading, and a client that
 * sends half a body and stalls. Neither may hold up the engine or anybody else's request, and
 * once they leave, everything they held is released.
 */
class SlowClientTest {
  static final String BODY = "{\"prompt\":\"Once upon a time\",\"max_tokens\":32,\"temperature\":0}";

  @Test
  void aStreamNobodyReadsDoesNotHoldUpOthers() throws Exception {
    try (ReliabilityServer fx = ReliabilityServer.start()) {
      String reference = BadInputTest.text(fx.post("/v1/completions", BODY).body());
      List<Socket> stalled = new ArrayList<>();
      try {
        // Two readers that never read: 4 x 900 tokens each, far more than the socket buffers hold.
        for (int i = 0; i < 2; i++) {
          Socket s = new Socket();
          s.setReceiveBufferSize(1024);
          s.connect(new InetSocketAddress("127.0.0.1", fx.port()));
          byte[] b = "{\"prompt\":\"The dog\",\"max_tokens\":900,\"n\":4,\"ignore_eos\":true,\"stream\":true}".getBytes(StandardCharsets.UTF_8);
          OutputStream out = s.getOutputStream();
          out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + b.length
              + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(b);
          out.flush();
          stalled.add(s);
        }
        // Also a client that sends half its body and stalls.
        Socket half = new Socket("127.0.0.1", fx.port());
        half.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: 500\r\n\r\n{\"prompt\":\"Once").getBytes(StandardCharsets.US_ASCII));
        half.getOutputStream().flush();
        stalled.add(half);

        // The engine generates the stalled streams to the end (their tokens wait in memory, bounded by
        // max_tokens) while everybody else is served as usual.
        ReliabilityServer.await("stalled streams generated", () -> fx.engine.snapshot().running() == 0 && fx.engine.snapshot().waiting() == 0
            && fx.engine.snapshot().requestsFinishedTotal() >= 3, Duration.ofSeconds(60));
        for (int i = 0; i < 5; i++) {
          long t0 = System.nanoTime();
          assertThat(BadInputTest.text(fx.post("/v1/completions", BODY).body())).isEqualTo(reference);
          assertThat((System.nanoTime() - t0) / 1e9).as("served promptly despite the stalled clients").isLessThan(10);
        }
        assertThat(fx.engine.snapshot().kvPagesUsed()).as("finished streams hold no KV page while their writes wait").isZero();
        // (Whether the stalled handlers are still blocked in a write depends on how much the kernel's
        // loopback buffers absorb; either way the engine is not waiting for them.)
        System.out.println("slow clients: handlers still in flight while stalled: " + fx.server.inFlight().size());
      } finally {
        for (Socket s : stalled) s.close();
      }
      fx.awaitSettled(); // the writes fail once the sockets close, and the handlers end
    }
  }
}
