package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The live view in a real browser (Playwright driving the system Chromium): the page loads, the
 * "Send ×6" button fires concurrent requests, and the view shows steps with two or more requests
 * in one batch, a moving step counter and lanes. A screenshot is left in target/live-view.png.
 */
class LiveViewBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @Test
  void liveViewShowsRequestsSharingBatches() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM), "no /usr/bin/chromium (apt-get install -y chromium); browser test skipped");
    NodeClients.assumeInstalled("playwright-core");
    // 5 ms a step keeps six requests of 120 tokens in flight for a few seconds: long enough to watch.
    try (ServerFixture fx = ServerFixture.start(ServerFixture.smallEngine().build(), ServerOptions.local(0), 5)) {
      Path shot = Path.of("target", "live-view.png").toAbsolutePath();
      Files.createDirectories(shot.getParent());
      NodeClients.Result r = NodeClients.run(120, "live-view-browser.mjs", fx.server.baseUrl(), shot.toString(), CHROMIUM.toString());
      assertThat(r.exitCode()).as(r.output()).isZero();
      assertThat(r.output()).contains("all checks passed");
      assertThat(shot).isNotEmptyFile();
    }
  }
}
