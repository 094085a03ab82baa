package dev.paternoster.model;

import dev.paternoster.Anchors;
import dev.paternoster.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnchorDiagTest {
  @Test
  void diag() {
    String[][] runs = {
      {"models/ktest/ktest-q4_k_m.gguf", "models/ktest/ktest-q4_k_m.f32kv.anchors.json"},
      {"models/ktest/ktest-q4_k_m.gguf", "models/ktest/ktest-q4_k_m.anchors.json"},
      {"models/ktest/ktest-q5_k_m.gguf", "models/ktest/ktest-q5_k_m.f32kv.anchors.json"},
      {"models/tiny15m/tiny15m-q8_0.gguf", "models/tiny15m/tiny15m-q8_0.anchors.json"},
      {"models/tiny15m/tiny15m-q4_0.gguf", "models/tiny15m/tiny15m-q4_0.anchors.json"},
      {"models/tiny15m/tiny15m-f16.gguf", "models/tiny15m/tiny15m-f16.anchors.json"},
    };
    for (String[] r : runs) {
      Anchors a = Anchors.read(TestModels.require(r[1]));
      try (LlamaModel m = LlamaModel.load(TestModels.require(r[0]))) {
        for (Anchors.Case c : a.cases()) {
          int[] ids = c.promptIds();
          int[] forced = new int[ids.length + c.steps().size()];
          System.arraycopy(ids, 0, forced, 0, ids.length);
          for (int i = 0; i < c.steps().size(); i++) forced[ids.length + i] = c.steps().get(i).id();
          List<double[]> lps = Teacher.logprobs(m, forced, ids.length, c.steps().size(), 7);
          double max = 0, sum = 0; int n = 0;
          StringBuilder sb = new StringBuilder();
          for (int s = 0; s < c.steps().size(); s++) {
            Anchors.Step st = c.steps().get(s);
            double stepMax = 0;
            for (int j = 0; j < st.topIds().length; j++) {
              double d = Math.abs(lps.get(s)[st.topIds()[j]] - st.topLogprobs()[j]);
              max = Math.max(max, d); sum += d; n++; stepMax = Math.max(stepMax, d);
            }
            if (s < 6) sb.append(String.format(" %.3f", stepMax));
          }
          System.out.printf("%s %s case %s: max %.4f mean %.4f first steps%s%n", r[0], r[1].contains("f32kv") ? "f32kv" : "f16kv", c.kind(), max, sum / n, sb);
        }
      }
    }
  }
}
