package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The official {@code openai} npm package, unmodified, against the server on stories260K:
 * streaming and non-streaming completions and chat, logprobs, n with a seed, and a 400 error.
 * The checks live in src/test/node/openai-client.mjs.
 */
class OpenAiNodeClientTest {
  @Test
  void officialOpenAiClientWorksUnmodified() throws Exception {
    NodeClients.assumeInstalled("openai");
    try (ServerFixture fx = ServerFixture.start()) {
      NodeClients.Result r = NodeClients.run(120, "openai-client.mjs", fx.server.baseUrl(), "stories260K");
      assertThat(r.exitCode()).as(r.output()).isZero();
      assertThat(r.output()).contains("all checks passed");
    }
  }
}
