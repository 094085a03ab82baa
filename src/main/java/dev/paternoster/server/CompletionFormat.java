package dev.paternoster.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paternoster.engine.Choice;
import dev.paternoster.engine.FinishReason;
import dev.paternoster.engine.GenerationResult;
import dev.paternoster.engine.TokenEvent;
import dev.paternoster.engine.TokenLogprob;
import dev.paternoster.engine.TokenLogprobs;
import java.util.List;

/** {@code text_completion} objects, with OpenAI's legacy {@code logprobs} layout. */
final class CompletionFormat implements ResponseFormat {
  private final Meta meta;
  private final TokenStrings tokens;
  private final boolean logprobs;
  /** Per choice: characters of text already sent, the base of {@code text_offset}. */
  private final int[] textOffset;

  CompletionFormat(Meta meta, TokenStrings tokens, boolean logprobs, int n) {
    this.meta = meta;
    this.tokens = tokens;
    this.logprobs = logprobs;
    this.textOffset = new int[n];
  }

  @Override
  public ObjectNode response(GenerationResult r) {
    ObjectNode o = meta.start();
    ArrayNode choices = o.putArray("choices");
    for (Choice c : r.choices()) {
      ObjectNode ch = choices.addObject();
      ch.put("index", c.index());
      ch.put("text", c.text());
      if (logprobs && c.logprobs() != null) {
        LogprobsBuilder b = new LogprobsBuilder(0);
        for (TokenLogprobs t : c.logprobs()) b.add(t.tokenId(), t.logprob(), t.top());
        ch.set("logprobs", b.node);
      } else {
        ch.putNull("logprobs");
      }
      ch.put("finish_reason", c.finishReason().openAiName());
      ResponseFormat.putStopReason(ch, c.stopReason(), c.finishReason() == FinishReason.STOP);
    }
    o.set("usage", ResponseFormat.usage(r));
    return o;
  }

  @Override
  public boolean includeUsage() {
    return meta.includeUsage();
  }

  @Override
  public List<ObjectNode> openingChunks(int n) {
    return List.of();
  }

  @Override
  public ObjectNode chunk(TokenEvent e) {
    boolean hasToken = e.tokenId() >= 0;
    if (e.textDelta().isEmpty() && !e.isFinal() && !(logprobs && hasToken)) return null;
    ObjectNode o = meta.startChunk();
    ObjectNode ch = o.putArray("choices").addObject();
    ch.put("index", e.choiceIndex());
    ch.put("text", e.textDelta());
    if (logprobs && hasToken) {
      LogprobsBuilder b = new LogprobsBuilder(textOffset[e.choiceIndex()]);
      b.add(e.tokenId(), e.logprob(), e.topLogprobs());
      ch.set("logprobs", b.node);
    } else {
      ch.putNull("logprobs");
    }
    if (logprobs) textOffset[e.choiceIndex()] += e.textDelta().length(); // read only for log-probabilities
    if (e.isFinal()) {
      ch.put("finish_reason", e.finishReason().openAiName());
    } else {
      ch.putNull("finish_reason");
    }
    ResponseFormat.putStopReason(ch, e.stopReason(), e.finishReason() == FinishReason.STOP);
    return o;
  }

  @Override
  public ObjectNode textChunk(int choiceIndex, String text) {
    return logprobs ? null : chunk(ResponseFormat.textEvent(choiceIndex, text));
  }

  @Override
  public ObjectNode usageChunk(GenerationResult r) {
    ObjectNode o = meta.start();
    o.putArray("choices");
    o.set("usage", ResponseFormat.usage(r));
    return o;
  }

  /** {tokens, token_logprobs, top_logprobs, text_offset}, one entry per token. */
  private final class LogprobsBuilder {
    final ObjectNode node = Json.MAPPER.createObjectNode();
    final ArrayNode toks = node.putArray("tokens");
    final ArrayNode lps = node.putArray("token_logprobs");
    final ArrayNode tops = node.putArray("top_logprobs");
    final ArrayNode offsets = node.putArray("text_offset");
    int offset;

    LogprobsBuilder(int startOffset) {
      offset = startOffset;
    }

    void add(int id, float logprob, List<TokenLogprob> top) {
      String text = tokens.text(id);
      toks.add(text);
      lps.add(ResponseFormat.finite(logprob));
      ObjectNode t = tops.addObject();
      if (top != null) for (TokenLogprob alt : top) t.put(tokens.text(alt.tokenId()), ResponseFormat.finite(alt.logprob()));
      if (!t.has(text)) t.put(text, ResponseFormat.finite(logprob)); // as vLLM: the chosen token is always listed
      offsets.add(offset);
      offset += text.length();
    }
  }
}
