package dev.paternoster.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paternoster.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * What llama.cpp did with the shared models, recorded in {@code *.anchors.json}: the prompt ids it
 * evaluated for each text prompt (BOS included, so addSpecial=true; the server parses special
 * tokens in prompts), the text of each prompt token, and the streamed content of the generated ids.
 */
class AnchorPromptTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TestFactory
  Stream<DynamicTest> promptsEncodeToLlamaCppIds() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (Path anchors : anchorFiles()) {
      JsonNode root = JSON.readTree(anchors.toFile());
      Tokenizer tok = LlamaCppVocabTest.load(anchors.resolveSibling(root.get("model").asText()));
      for (JsonNode c : root.get("cases")) {
        if (!c.get("kind").asText().equals("text")) continue;
        String prompt = c.get("prompt").asText();
        int[] expected = ints(c.get("prompt_ids"));
        tests.add(DynamicTest.dynamicTest(anchors.getFileName() + " " + VocabTestVectors.escape(prompt), () -> {
          assertThat(tok.encode(prompt, true, true)).containsExactly(expected);
          JsonNode pieces = c.get("prompt_pieces");
          for (int i = 1; i < expected.length; i++) { // piece 0 is BOS, which llama.cpp printed as its text
            assertThat(new String(tok.tokenBytes(expected[i]), java.nio.charset.StandardCharsets.UTF_8))
                .as("piece %d", i).isEqualTo(pieces.get(i).asText());
          }
        }));
      }
    }
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> generatedIdsStreamToLlamaCppContent() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (Path anchors : anchorFiles()) {
      JsonNode root = JSON.readTree(anchors.toFile());
      Tokenizer tok = LlamaCppVocabTest.load(anchors.resolveSibling(root.get("model").asText()));
      int n = 0;
      for (JsonNode c : root.get("cases")) {
        int[] generated = ints(c.get("generated_ids"));
        String content = c.get("content").asText();
        tests.add(DynamicTest.dynamicTest(anchors.getFileName() + " case " + n++, () -> {
          StreamingDecoder stream = new StreamingDecoder(tok);
          StringBuilder text = new StringBuilder();
          for (int id : generated) text.append(stream.accept(id));
          text.append(stream.finish());
          assertThat(text.toString()).isEqualTo(content);
        }));
      }
    }
    return tests.stream();
  }

  private static List<Path> anchorFiles() throws IOException {
    Path models = TestModels.shared().resolve("models");
    Assumptions.assumeTrue(Files.isDirectory(models), "shared models missing: " + models);
    try (Stream<Path> files = Files.walk(models, 2)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".anchors.json")).sorted().toList();
    }
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
    return out;
  }
}
