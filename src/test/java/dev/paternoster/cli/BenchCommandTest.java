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
    assertThat(BenchCommand.parseBytes("512MiB")).isEqualTo(512L << 20);
    assertThat(BenchCommand.parseBytes("2G")).isEqualTo(2L << 30);
    assertThat(BenchCommand.parseBytes("1.5GB")).isEqualTo(3L << 29);
    assertThat(BenchCommand.parseBytes("4096")).isEqualTo(4096);
    assertThatThrownBy(() -> BenchCommand.parseBytes("lots")).hasMessageContaining("lots");
    assertThat(BenchCommand.parseDuration("10ms")).isEqualTo(Duration.ofMillis(10));
    assertThat(BenchCommand.parseDuration("0.5s")).isEqualTo(Duration.ofMillis(500));
    assertThat(BenchCommand.parseDuration("25")).isEqualTo(Duration.ofMillis(25));
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
