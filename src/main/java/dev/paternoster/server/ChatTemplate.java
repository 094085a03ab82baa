package dev.paternoster.server;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * A model's chat template ({@code tokenizer.chat_template} in GGUF metadata), rendered with Jinjava
 * under HuggingFace's conventions: variables {@code messages}, {@code add_generation_prompt}, {@code
 * bos_token}, {@code eos_token}, {@code tools} (none), functions {@code raise_exception} and {@code
 * strftime_now}, Python-style {@code tojson}, Python string methods, and Jinja2's whitespace control
 * (see {@link JinjaSource}). Thread-safe.
 *
 * <p>Two fallbacks keep chat usable on any model:
 *
 * <ul>
 *   <li>A model without a template gets {@link #FALLBACK_SOURCE}: one {@code Role: content} line per
 *       message, then {@code Assistant:}.
 *   <li>Templates that refuse a system message (Gemma's "System role not supported") get the system
 *       text prepended to the first user message, as llama.cpp does.
 * </ul>
 */
public final class ChatTemplate {

  /** The documented fallback for models whose GGUF has no {@code tokenizer.chat_template}. */
  public static final String FALLBACK_SOURCE =
      "{% for m in messages %}{{ m.role | capitalize }}: {{ m.content }}\n{% endfor %}"
          + "{% if add_generation_prompt %}Assistant:{% endif %}";

  private static final Jinjava JINJAVA = newJinjava();

  private final String source;
  private final String rewritten;
  private final String bosToken;
  private final String eosToken;
  private final boolean fallback;

  private ChatTemplate(String source, String bosToken, String eosToken, boolean fallback) {
    this.source = source;
    this.rewritten = JinjaSource.rewrite(source);
    this.bosToken = bosToken == null ? "" : bosToken;
    this.eosToken = eosToken == null ? "" : eosToken;
    this.fallback = fallback;
  }

  /** The model's template, or the fallback when {@code source} is null or blank. */
  public static ChatTemplate of(String source, String bosToken, String eosToken) {
    if (source == null || source.isBlank()) return fallback(bosToken, eosToken);
    return new ChatTemplate(source, bosToken, eosToken, false);
  }

  /** The template in a GGUF file's {@code tokenizer.chat_template}, or the fallback when it has none. */
  public static ChatTemplate fromGguf(java.nio.file.Path gguf, dev.paternoster.tokenizer.Tokenizer tokenizer) {
    try (dev.paternoster.gguf.GGUFFile f = dev.paternoster.gguf.GGUFFile.open(gguf)) {
      String source = f.has("tokenizer.chat_template") ? f.getString("tokenizer.chat_template") : null;
      return of(source, ServedModel.bosText(tokenizer), ServedModel.eosText(tokenizer)).checked();
    }
  }

  /**
   * This template if it renders a one-message conversation, else (with a warning) the fallback: a
   * template this server cannot render would otherwise fail every chat request.
   */
  public ChatTemplate checked() {
    try {
      render(List.of(new ChatMessage("user", "Hello", null)), true);
      return this;
    } catch (ApiException e) {
      return this; // the template refused the probe conversation on purpose (raise_exception): it works
    } catch (RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(ChatTemplate.class)
          .warn("the model's chat template cannot be rendered here ({}); chat uses the 'Role: content' fallback", e.getMessage());
      return fallback(bosToken, eosToken);
    }
  }

  public static ChatTemplate fallback(String bosToken, String eosToken) {
    return new ChatTemplate(FALLBACK_SOURCE, bosToken, eosToken, true);
  }

  public boolean isFallback() {
    return fallback;
  }

  public String source() {
    return source;
  }

  public String bosToken() {
    return bosToken;
  }

  /**
   * Renders a conversation into prompt text.
   *
   * @throws ApiException 400 when the template rejects the conversation ({@code raise_exception})
   * @throws IllegalStateException when the template itself cannot be rendered by this server
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    try {
      return renderOnce(messages, addGenerationPrompt);
    } catch (TemplateFunctions.TemplateRaisedException e) {
      if (!messages.isEmpty() && messages.getFirst().role().equals("system")) {
        List<ChatMessage> merged = mergeSystemIntoFirstUser(messages);
        if (merged != null) {
          try {
            return renderOnce(merged, addGenerationPrompt);
          } catch (TemplateFunctions.TemplateRaisedException again) {
            throw rejected(again);
          }
        }
      }
      throw rejected(e);
    }
  }

  private static ApiException rejected(TemplateFunctions.TemplateRaisedException e) {
    return ApiException.badRequest("messages", "The model's chat template rejected the conversation: " + e.getMessage());
  }

  private String renderOnce(List<ChatMessage> messages, boolean addGenerationPrompt) {
    List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
    for (ChatMessage m : messages) msgs.add(m.toTemplateMap());
    Map<String, Object> ctx = new HashMap<>();
    ctx.put("messages", msgs);
    ctx.put("add_generation_prompt", addGenerationPrompt);
    ctx.put("bos_token", bosToken);
    ctx.put("eos_token", eosToken);
    ctx.put("tools", null);
    ctx.put("documents", null);
    // Templates test "strftime_now is defined" before calling it; Jinjava's functions are not
    // variables, so a marker variable of the same name makes the test true.
    ctx.put("strftime_now", "strftime_now");
    RenderResult r = JINJAVA.renderForResult(rewritten, ctx);
    for (TemplateError err : r.getErrors()) {
      if (err.getSeverity() != TemplateError.ErrorType.FATAL) continue;
      for (Throwable t = err.getException(); t != null; t = t.getCause()) {
        if (t instanceof TemplateFunctions.TemplateRaisedException raised) throw raised;
      }
      throw new IllegalStateException("chat template failed at line " + err.getLineno() + ": " + err.getMessage());
    }
    return r.getOutput();
  }

  /** The conversation with the system text joined to the first user message, or null if there is none. */
  static List<ChatMessage> mergeSystemIntoFirstUser(List<ChatMessage> messages) {
    ChatMessage system = messages.getFirst();
    List<ChatMessage> rest = new ArrayList<>(messages.subList(1, messages.size()));
    for (int i = 0; i < rest.size(); i++) {
      ChatMessage m = rest.get(i);
      if (m.role().equals("user")) {
        rest.set(i, new ChatMessage("user", system.content() + "\n\n" + m.content(), m.name()));
        return rest;
      }
    }
    return null;
  }

  private static Jinjava newJinjava() {
    CompositeELResolver resolver = new CompositeELResolver();
    resolver.add(new PythonMethods());
    resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
    JinjavaConfig config = JinjavaConfig.newBuilder()
        .withTrimBlocks(true) // HuggingFace renders with trim_blocks and lstrip_blocks
        .withLstripBlocks(true)
        .withElResolver(resolver)
        .withFailOnUnknownTokens(false)
        .withMaxOutputSize(16L << 20)
        .build();
    Jinjava j = new Jinjava(config);
    var g = j.getGlobalContext();
    g.registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class, "raiseException", String.class));
    g.registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class, "strftimeNow", String.class));
    g.registerFilter(new TemplateFilters.ToJson());
    g.registerTag(new TemplateFilters.FilterBlock());
    return j;
  }
}
