package dev.paternoster.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paternoster.Anchors;
import dev.paternoster.TestModels;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** stories260K against an independent float64 reference forward pass: 64 greedy ids and logits. */
class NumpyReferenceTest {
  @Test
  void greedyIdsAndLogitsMatchTheReference() throws Exception {
    JsonNode ref = new ObjectMapper().readTree(TestModels.require("models/stories260K/stories260K.numpy-reference.json").toFile());
    for (JsonNode c : ref) {
      String file = c.get("model").asText().contains("llama-2-tiny-random")
          ? "models/llama2-tiny-random/llama-2-tiny-random.gguf" : "models/stories260K/stories260K.gguf";
      try (LlamaModel m = LlamaModel.load(TestModels.require(file))) {
        int[] prompt = Anchors.ints(c.get("prompt_ids_with_bos"));
        int[] want = Anchors.ints(c.get("greedy_ids"));
        // the tokenizer gives the same prompt ids
        String text = c.get("prompt").asText();
        assertThat(m.tokenizer().encode(text, true, false)).as("ids of '%s'", text).containsExactly(prompt);
        System.out.println(file + " '" + text + "'");
        // the reference is exact F32 maths: compare with an F32 KV cache
        List<GreedyRun.Step> steps = GreedyRun.run(m, prompt, want.length, 3, new int[0], KvCacheDtype.F32);
        int[] got = steps.stream().mapToInt(GreedyRun.Step::id).toArray();
        assertThat(got).as("greedy ids after '%s'", text).containsExactly(want);

        float[] logits = new float[m.config().vocabSize()];
        try (KvCache kv = m.newKvCache(1, 16, KvCacheDtype.F32)) {
          m.forward(Batch.single(prompt, 0, new int[] {0}), kv, logits);
        }
        for (JsonNode pair : c.get("last_prompt_pos_logits_top5")) {
          assertThat((double) logits[pair.get(0).asInt()]).isCloseTo(pair.get(1).asDouble(), within(1e-3));
        }
        JsonNode first8 = c.get("last_prompt_pos_logits_first8");
        for (int i = 0; i < first8.size(); i++) {
          assertThat((double) logits[i]).isCloseTo(first8.get(i).asDouble(), within(1e-3));
        }
      }
    }
  }
}
