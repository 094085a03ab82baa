package dev.paternoster.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paternoster.engine.EngineConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

  @Test
  void sizesAndDurations() {
    assertThat(ByteSize.parse("512MiB")).isEqualTo(512L << 20);
    assertThat(ByteSize.parse("2G")).isEqualTo(2L << 30);
    assertThat(ByteSize.parse("1.5GB")).isEqualTo(3L << 29);
    assertThat(ByteSize.parse("4096")).isEqualTo(4096);
    assertThatThrownBy(() -> ByteSize.parse("lots")).hasMessageContaining("lots");
    assertThat(BenchCommand.parseDuration("10ms")).isEqualTo(Duration.ofMillis(10));
    assertThat(BenchCommand.parseDuration("0.5s")).isEqualTo(Duration.ofMillis(500));
    assertThat(BenchCommand.parseDuration("25")).isEqualTo(Duration.ofMillis(25));
    assertThatThrownBy(() -> BenchCommand.parseDuration("soon")).hasMessageContaining("soon");
  }

  @Test
  void engineOptionsAreSharedWithServe() {
    BenchCommand b = new BenchCommand();
    new picocli.CommandLine(b).parseArgs("--model", "m.gguf", "--max-wait", "10ms", "--kv-cache-memory", "64m", "--batching", "static",
        "--max-batch-size", "4", "--kv-cache-dtype", "f32", "--page-size", "32", "--no-prefix-caching");
    EngineConfig e = b.engine.builder().build();
    assertThat(e.maxWait()).isEqualTo(Duration.ofMillis(10));
    assertThat(e.kvCacheBytes()).isEqualTo(64L << 20);
    assertThat(e.mode()).isEqualTo(EngineConfig.Mode.STATIC);
    assertThat(e.maxBatchSize()).isEqualTo(4);
    assertThat(e.kvCacheDtype()).isEqualTo(dev.paternoster.model.KvCacheDtype.F32);
    assertThat(e.pageSize()).isEqualTo(32);
    assertThat(e.enablePrefixCaching()).isFalse();
    ServeCommand s = ServeCommandTest.parse("--max-wait", "10ms");
    assertThat(s.engineConfig().maxWait()).isEqualTo(Duration.ofMillis(10));
  }

  @Test
  void compareNeedsBothModes() {
    assertThat(BenchCommand.modes("static,continuous")).containsExactly(EngineConfig.Mode.STATIC, EngineConfig.Mode.CONTINUOUS);
    assertThat(BenchCommand.modes("continuous, static")).containsExactly(EngineConfig.Mode.CONTINUOUS, EngineConfig.Mode.STATIC);
    assertThatThrownBy(() -> BenchCommand.modes("static")).hasMessageContaining("--compare");
    assertThatThrownBy(() -> BenchCommand.mode("dynamic")).hasMessageContaining("dynamic");
  }

  @Test
  void refusesNonLoopbackUrlsAndMissingTargets() {
    StringWriter err = new StringWriter();
    int code = Main.commandLine().setErr(new PrintWriter(err)).execute("bench", "--url", "http://192.0.2.1:8080", "--vocab-size", "1000");
    assertThat(code).isNotZero();
    assertThat(err.toString()).contains("loopback");
    StringWriter err2 = new StringWriter();
    assertThat(Main.commandLine().setErr(new PrintWriter(err2)).execute("bench", "--num-requests", "3")).isNotZero();
    assertThat(err2.toString()).contains("--model").contains("--url");
  }
}
