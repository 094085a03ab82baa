package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.TestModels;
import dev.paternoster.gguf.GGUFFile;
import dev.paternoster.tokenizer.Tokenizer;
import dev.paternoster.tokenizer.Tokenizers;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A rendered chat prompt gets exactly one BOS, whether or not the template printed it. */
class ChatPromptTest {
  static final List<ChatMessage> HI = List.of(new ChatMessage("user", "Hi", null));

  static int[] prompt(String templateSource) {
    try (GGUFFile f = GGUFFile.open(TestModels.stories260K())) {
      Tokenizer t = Tokenizers.fromGGUF(f);
      ChatTemplate template = ChatTemplate.of(templateSource, ServedModel.bosText(t), ServedModel.eosText(t));
      ServedModel m = new ServedModel("m", null, t, template, 0);
      return ChatHandler.encode(m, template.render(HI, true));
    }
  }

  static long count(int[] ids, int id) {
    return Arrays.stream(ids).filter(x -> x == id).count();
  }

  @Test
  void templateThatPrintsBosIsNotGivenASecondOne() {
    int[] ids = prompt("{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}");
    assertThat(ids[0]).isEqualTo(1);
    assertThat(count(ids, 1)).isEqualTo(1);
  }

  @Test
  void templateWithoutBosGetsTheTokenizersBos() {
    int[] ids = prompt(null); // the fallback template prints no BOS
    assertThat(ids[0]).isEqualTo(1);
    assertThat(count(ids, 1)).isEqualTo(1);
  }

  @Test
  void specialTokenTextInTheTemplateBecomesTheSpecialToken() {
    int[] ids = prompt("{{ bos_token }}{{ messages[0].content }}{{ eos_token }}");
    assertThat(ids[ids.length - 1]).isEqualTo(2); // "</s>" parsed as EOS, not as characters
  }
}
