package dev.paternoster.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.paternoster.Anchors;
import dev.paternoster.TestModels;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Generation against llama.cpp's recorded outputs on the shared models. */
class AnchorTest {

  static Stream<Arguments> models() {
    return Stream.of(
        // model, anchors, logprob tolerance, margin below which greedy ids may differ
        Arguments.of("models/stories260K/stories260K.gguf", "models/stories260K/stories260K.f32kv.anchors.json", 1e-3, 0.0),
        Arguments.of("models/tiny15m/tiny15m-q8_0.gguf", "models/tiny15m/tiny15m-q8_0.anchors.json", 0.05, 0.05),
        Arguments.of("models/tiny15m/tiny15m-q4_0.gguf", "models/tiny15m/tiny15m-q4_0.anchors.json", 0.05, 0.05),
        Arguments.of("models/tiny15m/tiny15m-f16.gguf", "models/tiny15m/tiny15m-f16.anchors.json", 0.05, 0.05),
        Arguments.of("models/ktest/ktest-q4_k_m.gguf", "models/ktest/ktest-q4_k_m.f32kv.anchors.json", 0.05, 0.05),
        Arguments.of("models/ktest/ktest-q5_k_m.gguf", "models/ktest/ktest-q5_k_m.f32kv.anchors.json", 0.05, 0.05));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void matchesLlamaCpp(String modelPath, String anchorPath, double tolerance, double margin) {
    Path model = TestModels.require(modelPath);
    Anchors anchors = Anchors.read(TestModels.require(anchorPath));
    try (LlamaModel m = LlamaModel.load(model)) {
      for (Anchors.Case c : anchors.cases()) {
        // Follow llama.cpp's own tokens so that one near-tie does not derail the rest of the comparison.
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
            assertThat(got[want.topIds()[j]])
                .as("%s case '%s' step %d: logprob of token %d", modelPath, c.prompt(), s, want.topIds()[j])
                .isCloseTo(want.topLogprobs()[j], within(tolerance));
          }
          if (want.margin() > margin) {
            int best = argmax(got, anchors.bannedIds());
            assertThat(best).as("%s case '%s' step %d greedy id", modelPath, c.prompt(), s).isEqualTo(want.id());
          }
        }
      }
    }
  }

  static int argmax(double[] lp, int[] banned) {
    int best = -1;
    for (int i = 0; i < lp.length; i++) {
      if (GreedyRun.isBanned(i, banned)) continue;
      if (best < 0 || lp[i] > lp[best]) best = i;
    }
    return best;
  }
}
