package dev.paternoster.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.Anchors;
import dev.paternoster.TestModels;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Generation against llama.cpp's recorded outputs on the shared models, teacher-forced on
 * llama.cpp's own tokens so that one near-tie does not derail the rest of the comparison.
 *
 * <p>The real model (stories260K, F32) and the F16 model are held to the bars: every top-5
 * log-probability within 1e-3 resp. 0.05. The quantized files hold random weights that amplify any
 * rounding difference (llama.cpp's own Q8_0 and F16 runs of the same weights differ by 0.1): the
 * batch-invariant fast kernels match many steps exactly and stay within a mean of 0.12 (0.09 for
 * Q8_0/Q4_0, whose matmuls now compute llama.cpp's bits), and agree on the greedy token wherever
 * llama.cpp's top-2 margin exceeds 0.5. (Bit-exact emulation of llama.cpp's whole x86 graph, which
 * meets 0.05 on these files too, is not yet the production path.)
 */
class AnchorTest {

  static Stream<Arguments> models() {
    return Stream.of(
        // model, anchors, max |diff|, mean |diff|, margin above which greedy ids must agree
        Arguments.of("models/stories260K/stories260K.gguf", "models/stories260K/stories260K.f32kv.anchors.json", 1e-3, 1e-3, 0.0),
        Arguments.of("models/tiny15m/tiny15m-f16.gguf", "models/tiny15m/tiny15m-f16.anchors.json", 0.05, 0.01, 0.05),
        // Q8_0/Q4_0 matmuls are llama.cpp's bit for bit; the rest of the graph (softmax, SwiGLU,
        // attention) is not yet: max 0.39 / 0.37, mean 0.073 / 0.068 measured
        Arguments.of("models/tiny15m/tiny15m-q8_0.gguf", "models/tiny15m/tiny15m-q8_0.anchors.json", 0.45, 0.09, 0.5),
        Arguments.of("models/tiny15m/tiny15m-q4_0.gguf", "models/tiny15m/tiny15m-q4_0.anchors.json", 0.45, 0.09, 0.5),
        Arguments.of("models/ktest/ktest-q4_k_m.gguf", "models/ktest/ktest-q4_k_m.f32kv.anchors.json", 0.6, 0.12, 0.5),
        Arguments.of("models/ktest/ktest-q5_k_m.gguf", "models/ktest/ktest-q5_k_m.f32kv.anchors.json", 0.6, 0.12, 0.5));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void matchesLlamaCpp(String modelPath, String anchorPath, double maxDiff, double meanDiff, double margin) {
    Path model = TestModels.require(modelPath);
    Anchors anchors = Anchors.read(TestModels.require(anchorPath));
    double sum = 0, max = 0;
    int count = 0;
    try (LlamaModel m = LlamaModel.load(model)) {
      for (Anchors.Case c : anchors.cases()) {
        int[] ids = c.promptIds();
        List<Anchors.Step> steps = c.steps();
        int[] forced = new int[ids.length + steps.size()];
        System.arraycopy(ids, 0, forced, 0, ids.length);
        for (int i = 0; i < steps.size(); i++) forced[ids.length + i] = steps.get(i).id();
        List<double[]> lps = Teacher.logprobs(m, forced, ids.length, steps.size(), 7);
        for (int s = 0; s < steps.size(); s++) {
          Anchors.Step want = steps.get(s);
          double[] got = lps.get(s);
          for (int j = 0; j < want.topIds().length; j++) {
            double d = Math.abs(got[want.topIds()[j]] - want.topLogprobs()[j]);
            assertThat(d).as("%s case '%s' step %d: logprob of token %d is %.5f, llama.cpp %.5f", modelPath,
                c.prompt(), s, want.topIds()[j], got[want.topIds()[j]], want.topLogprobs()[j]).isLessThanOrEqualTo(maxDiff);
            sum += d;
            max = Math.max(max, d);
            count++;
          }
          if (want.margin() > margin) {
            int best = GreedyRun.argmax(got, anchors.bannedIds());
            assertThat(best).as("%s case '%s' step %d greedy id", modelPath, c.prompt(), s).isEqualTo(want.id());
          }
        }
      }
    }
    System.out.printf(java.util.Locale.ROOT, "anchor %s: max |logprob diff| %.5f, mean %.5f over %d%n", modelPath, max, sum / count, count);
    assertThat(sum / count).as("%s mean |logprob difference|", modelPath).isLessThanOrEqualTo(meanDiff);
  }
}
