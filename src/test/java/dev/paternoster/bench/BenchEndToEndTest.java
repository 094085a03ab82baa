package dev.paternoster.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paternoster.TestModels;
import dev.paternoster.cli.Main;
import dev.paternoster.engine.Engine;
import dev.paternoster.engine.EngineConfig;
import dev.paternoster.model.LlamaModel;
import dev.paternoster.tensor.Parallel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code paternoster bench} on the real 260K-parameter model, in-process: a few short requests. */
class BenchEndToEndTest {
  static Path model;

  @BeforeAll
  static void engineHasLanded() {
    model = TestModels.stories260K();
    try (LlamaModel m = LlamaModel.load(model, 64, new Parallel(1))) {
      try {
        Engine.start(m, EngineConfig.builder().numPages(8).maxNumBatchedTokens(64).build()).close();
      } catch (UnsupportedOperationException e) {
        assumeTrue(false, "the engine is not implemented on this branch yet");
      }
    }
  }

  private static int bench(String... args) {
    StringWriter err = new StringWriter();
    int code = Main.commandLine().setErr(new PrintWriter(err)).execute(args);
    assertThat(code).as(err.toString()).isZero();
    return code;
  }

  @Test
  void compareStaticAndContinuousOnTheSameWorkload(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("compare.json"), svg = dir.resolve("compare.svg");
    bench("bench", "--model", model.toString(), "--threads", "1", "--quiet", "--compare", "static,continuous",
        "--num-requests", "6", "--request-rate", "50", "--input-len", "12", "--output-len", "8",
        "--output-dist", "uniform", "--max-batch-size", "4", "--max-num-seqs", "8",
        "--json", json.toString(), "--plot", svg.toString());
    JsonNode root = new ObjectMapper().readTree(json.toFile());
    assertThat(root.path("mode").asText()).isEqualTo("compare");
    assertThat(root.path("runs")).hasSize(2);
    assertThat(root.path("runs").get(0).path("label").asText()).isEqualTo("static");
    assertThat(root.path("runs").get(1).path("label").asText()).isEqualTo("continuous");
    for (JsonNode run : root.path("runs")) {
      JsonNode s = run.path("summary");
      assertThat(s.path("completed").asInt()).as(s.toString()).isEqualTo(6);
      assertThat(s.path("failed").asInt()).isZero();
      assertThat(s.path("ttft_ms").path("p50").asDouble()).isPositive();
      assertThat(s.path("preemptions").isNumber()).isTrue();
      assertThat(run.path("target").path("kind").asText()).isEqualTo("engine");
    }
    // same seed, same requests: the same number of tokens in both modes (ignore_eos makes lengths exact)
    assertThat(root.path("runs").get(0).path("summary").path("total_output_tokens").asLong())
        .isEqualTo(root.path("runs").get(1).path("summary").path("total_output_tokens").asLong());
    assertThat(root.path("comparison").path("output_throughput_ratio").asDouble()).isPositive();
    assertThat(SvgPlotTest.parse(Files.readString(svg)).getDocumentElement().getLocalName()).isEqualTo("svg");
  }

  @Test
  void closedLoopAndBatchedBench(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("closed.json");
    bench("bench", "--model", model.toString(), "--threads", "1", "--quiet", "--concurrency", "3",
        "--num-requests", "5", "--input-len", "10", "--output-len", "6", "--input-dist", "sharegpt",
        "--json", json.toString());
    JsonNode s = new ObjectMapper().readTree(json.toFile()).path("summary");
    assertThat(s.path("completed").asInt()).isEqualTo(5);
    assertThat(s.path("total_output_tokens").asInt()).isEqualTo(30);

    Path batched = dir.resolve("batched.json");
    bench("bench", "--model", model.toString(), "--threads", "1", "--quiet", "--batched-bench",
        "--parallel", "1,4", "--input-len", "16", "--output-len", "8", "--json", batched.toString());
    JsonNode results = new ObjectMapper().readTree(batched.toFile()).path("results");
    assertThat(results).hasSize(2);
    assertThat(results.get(1).path("sequences").asInt()).isEqualTo(4);
    assertThat(results.get(1).path("decode_tok_s").asDouble()).isPositive();
    assertThat(results.get(1).path("decode_steps").asInt()).isEqualTo(7); // token 1 comes from prefill
  }
}
