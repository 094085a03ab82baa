package dev.paternoster.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paternoster.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
  static final List<ChatMessage> CONVERSATION = List.of(
      new ChatMessage("system", "SYS-MSG", null),
      new ChatMessage("user", "USER-ONE", null),
      new ChatMessage("assistant", "ASSIST-ONE", null),
      new ChatMessage("user", "USER-TWO", null));

  static Stream<Path> templates() throws IOException {
    Path dir = TestModels.require("tokenizers/templates");
    return Files.list(dir).filter(p -> p.toString().endsWith(".jinja")).sorted();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("templates")
  void everySharedTemplateRendersAConversation(Path file) throws IOException {
    ChatTemplate t = ChatTemplate.of(Files.readString(file), "<s>", "</s>");
    String withPrompt = t.render(CONVERSATION, true);
    String withoutPrompt = t.render(CONVERSATION, false);
    String assistantPrompt = assistantPrompt(file.getFileName().toString());

    // Every message appears, in order (templates that take no system role carry it in the first user turn).
    int sys = withPrompt.indexOf("SYS-MSG");
    int u1 = withPrompt.indexOf("USER-ONE");
    int a1 = withPrompt.indexOf("ASSIST-ONE");
    int u2 = withPrompt.indexOf("USER-TWO");
    assertThat(sys).as("system message in %s", withPrompt).isGreaterThanOrEqualTo(0);
    assertThat(u1).isGreaterThan(-1);
    assertThat(List.of(u1, a1, u2)).isSorted();
    assertThat(a1).isGreaterThan(u1);
    assertThat(u2).isGreaterThan(a1);

    // The rendered prompt ends with the model's assistant header, after the last user message.
    assertThat(withPrompt).endsWith(assistantPrompt);
    assertThat(withPrompt.substring(u2)).startsWith("USER-TWO");
    // Jinja whitespace control is honoured: no template indentation leaks into the prompt.
    assertThat(withPrompt).doesNotContain("\n        <|");
    assertThat(withPrompt.length()).isGreaterThanOrEqualTo(withoutPrompt.length());
  }

  /** The assistant header each template family ends its generation prompt with. */
  static String assistantPrompt(String file) {
    if (file.startsWith("CohereForAI")) return "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>";
    if (file.startsWith("NousResearch") || file.startsWith("Qwen")) return "<|im_start|>assistant\n";
    if (file.contains("deepseek") || file.contains("DeepSeek")) return "<\uFF5CAssistant\uFF5C><think>\n";
    if (file.startsWith("meetkai-functionary-medium-v3.2")) return "<|start_header_id|>assistant<|end_header_id|>\n\n>>>";
    if (file.contains("llama-3") || file.contains("Llama-3") || file.startsWith("meetkai")) {
      return "<|start_header_id|>assistant<|end_header_id|>\n\n";
    }
    if (file.startsWith("google-gemma")) return "<start_of_turn>model\n";
    if (file.startsWith("microsoft-Phi-3")) return "<|assistant|>\n";
    if (file.startsWith("mistralai")) return "USER-TWO[/INST]";
    throw new AssertionError("new template " + file + ": add its assistant prompt to this test");
  }

  @Test
  void qwenRendersExactlyAsTransformersDoes() throws IOException {
    Path file = TestModels.require("tokenizers/templates/Qwen-Qwen2.5-7B-Instruct.jinja");
    String out = ChatTemplate.of(Files.readString(file), "", "<|im_end|>").render(CONVERSATION, true);
    assertThat(out).isEqualTo("""
        <|im_start|>system
        SYS-MSG<|im_end|>
        <|im_start|>user
        USER-ONE<|im_end|>
        <|im_start|>assistant
        ASSIST-ONE<|im_end|>
        <|im_start|>user
        USER-TWO<|im_end|>
        <|im_start|>assistant
        """);
  }

  @Test
  void llama32PrintsTodaysDateWithStrftimeNow() throws IOException {
    Path file = TestModels.require("tokenizers/templates/meta-llama-Llama-3.2-3B-Instruct.jinja");
    String out = ChatTemplate.of(Files.readString(file), "<|begin_of_text|>", "<|eot_id|>").render(CONVERSATION, true);
    assertThat(out).startsWith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n");
    assertThat(out).contains("Today Date: " + TemplateFunctions.strftimeNow("%d %b %Y"));
    assertThat(out).endsWith("USER-TWO<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  }

  @Test
  void gemmaGetsTheSystemMessageInTheFirstUserTurn() throws IOException {
    Path file = TestModels.require("tokenizers/templates/google-gemma-2-2b-it.jinja");
    String out = ChatTemplate.of(Files.readString(file), "<bos>", "<eos>").render(CONVERSATION, true);
    assertThat(out).isEqualTo("<bos><start_of_turn>user\nSYS-MSG\n\nUSER-ONE<end_of_turn>\n"
        + "<start_of_turn>model\nASSIST-ONE<end_of_turn>\n<start_of_turn>user\nUSER-TWO<end_of_turn>\n<start_of_turn>model\n");
  }

  @Test
  void raiseExceptionIsA400NamingMessages() {
    ChatTemplate t = ChatTemplate.of("{% if messages|length > 1 %}{{ raise_exception('only one message, please') }}{% endif %}x", "", "");
    assertThatThrownBy(() -> t.render(List.of(new ChatMessage("user", "a", null), new ChatMessage("user", "b", null)), true))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.param()).isEqualTo("messages");
          assertThat(e.getMessage()).contains("only one message, please");
        });
  }

  @Test
  void aTemplateThisServerCannotRenderFallsBackAtLoadTime() {
    assertThat(ChatTemplate.of("{% frobnicate %}{{ messages }}", "", "").checked().isFallback()).isTrue();
    assertThat(ChatTemplate.of("{{ raise_exception('no') }}", "", "").checked().isFallback()).isFalse();
    assertThat(ChatTemplate.of("{{ messages[0].content }}", "", "").checked().isFallback()).isFalse();
  }

  @Test
  void fallbackIsRoleColonContent() {
    ChatTemplate t = ChatTemplate.of(null, "<s>", "</s>");
    assertThat(t.isFallback()).isTrue();
    assertThat(t.render(CONVERSATION, true))
        .isEqualTo("System: SYS-MSG\nUser: USER-ONE\nAssistant: ASSIST-ONE\nUser: USER-TWO\nAssistant:");
  }

  @Test
  void pythonIsmsWork() {
    String src = """
        {%- set ns = namespace(n=0) -%}
        {%- for m in messages -%}
          {%- if m.content.startswith('  ') and m.content.strip().endswith('!') -%}{%- set ns.n = ns.n + 1 -%}{%- endif -%}
        {%- endfor -%}
        {{ ns.n }}|{{ messages[0].content.strip().split(' ') | tojson }}|{{ 'abc'[::-1] }}|{{ messages[::-1][0].content }}|
        {%- filter upper %}shout{% endfilter %}|{{ {'a': [1, 'x']} | tojson }}|{{ 'a-b'.upper() }}|{{ ' x '.lstrip() }}
        """;
    List<ChatMessage> msgs = List.of(new ChatMessage("user", "  hi there!", null), new ChatMessage("user", "last", null));
    assertThat(ChatTemplate.of(src, "", "").render(msgs, false).strip())
        .isEqualTo("1|[\"hi\", \"there!\"]|cba|last|SHOUT|{\"a\": [1, \"x\"]}|A-B|x");
  }

  @Test
  void tojsonIndentMatchesPython() {
    assertThat(PythonJson.dumps(java.util.Map.of("k", List.of(1, 2)), 2)).isEqualTo("{\n  \"k\": [\n    1,\n    2\n  ]\n}");
  }

  @Test
  void strftimeDirectives() {
    var t = java.time.ZonedDateTime.of(2024, 7, 6, 9, 5, 3, 0, java.time.ZoneOffset.UTC);
    assertThat(TemplateFunctions.strftime(t, "%d %b %Y %-d %B %H:%M:%S %%")).isEqualTo("06 Jul 2024 6 July 09:05:03 %");
  }
}
