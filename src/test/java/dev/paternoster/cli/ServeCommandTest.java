package dev.paternoster.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paternoster.engine.EngineConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** serve's options map onto the engine configuration; sizes parse as people write them. */
class ServeCommandTest {
  static ServeCommand parse(String... args) {
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs(args);
    return cmd;
  }

  @Test
  void optionsBecomeTheEngineConfig() {
    ServeCommand c = parse("--max-num-seqs", "8", "--max-num-batched-tokens", "128", "--kv-cache-memory", "512m",
        "--page-size", "32", "--max-wait", "25", "--scheduling-policy", "priority", "--batching", "static",
        "--max-batch-size", "4", "--max-queued-requests", "10", "--no-prefix-caching", "--max-model-len", "1024");
    EngineConfig e = c.engineConfig();
    assertThat(e.maxNumSeqs()).isEqualTo(8);
    assertThat(e.maxNumBatchedTokens()).isEqualTo(128);
    assertThat(e.kvCacheBytes()).isEqualTo(512L << 20);
    assertThat(e.pageSize()).isEqualTo(32);
    assertThat(e.maxWait()).isEqualTo(Duration.ofMillis(25));
    assertThat(e.policy()).isEqualTo(EngineConfig.Policy.PRIORITY);
    assertThat(e.mode()).isEqualTo(EngineConfig.Mode.STATIC);
    assertThat(e.maxBatchSize()).isEqualTo(4);
    assertThat(e.maxQueuedRequests()).isEqualTo(10);
    assertThat(e.enablePrefixCaching()).isFalse();
    assertThat(e.maxModelLen()).isEqualTo(1024);
  }

  @Test
  void defaultsAreLocalAndSafe() {
    ServeCommand c = parse();
    assertThat(c.host).isEqualTo("127.0.0.1");
    assertThat(c.port).isEqualTo(8080);
    assertThat(c.maxBodySize).isEqualTo(8L << 20);
    assertThat(c.engineConfig().mode()).isEqualTo(EngineConfig.Mode.CONTINUOUS);
  }

  @Test
  void badValuesAreClearErrors() {
    assertThatThrownBy(() -> parse("--scheduling-policy", "lifo").engineConfig()).hasMessageContaining("fcfs or priority");
    assertThatThrownBy(() -> parse("--kv-cache-memory", "lots")).hasMessageContaining("not a size");
  }

  @Test
  void sizes() {
    assertThat(ByteSize.parse("2g")).isEqualTo(2L << 30);
    assertThat(ByteSize.parse("64K")).isEqualTo(64L << 10);
    assertThat(ByteSize.parse("1.5m")).isEqualTo(3L << 19);
    assertThat(ByteSize.parse("512MiB")).isEqualTo(512L << 20);
    assertThat(ByteSize.parse("4096")).isEqualTo(4096);
  }

  @Test
  void serveIsACommand() {
    assertThat(Main.commandLine().getSubcommands()).containsKey("serve");
  }
}
