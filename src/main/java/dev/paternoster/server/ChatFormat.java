package dev.paternoster.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paternoster.engine.Choice;
import dev.paternoster.engine.FinishReason;
import dev.paternoster.engine.GenerationResult;
import dev.paternoster.engine.TokenEvent;
import dev.paternoster.engine.TokenLogprob;
import dev.paternoster.engine.TokenLogprobs;
import java.util.ArrayList;
import java.util.List;

/** {@code chat.completion} and {@code chat.completion.chunk} objects. */
final class ChatFormat implements ResponseFormat {
  private final Meta meta;
  private final TokenStrings tokens;
  private final boolean logprobs;

  ChatFormat(Meta meta, TokenStrings tokens, boolean logprobs) {
    this.meta = meta;
    this.tokens = tokens;
    this.logprobs = logprobs;
  }

  @Override
  public ObjectNode response(GenerationResult r) {
    ObjectNode o = meta.start();
    ArrayNode choices = o.putArray("choices");
    for (Choice c : r.choices()) {
      ObjectNode ch = choices.addObject();
      ch.put("index", c.index());
      ObjectNode msg = ch.putObject("message");
      msg.put("role", "assistant");
      msg.put("content", c.text());
      if (logprobs && c.logprobs() != null) {
        ArrayNode content = ch.putObject("logprobs").putArray("content");
        for (TokenLogprobs t : c.logprobs()) content.add(entry(t.tokenId(), t.logprob(), t.top()));
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
    List<ObjectNode> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ObjectNode o = meta.startChunk();
      ObjectNode ch = o.putArray("choices").addObject();
      ch.put("index", i);
      ObjectNode delta = ch.putObject("delta");
      delta.put("role", "assistant");
      delta.put("content", "");
      ch.putNull("logprobs");
      ch.putNull("finish_reason");
      out.add(o);
    }
    return out;
  }

  @Override
  public ObjectNode chunk(TokenEvent e) {
    boolean hasToken = e.tokenId() >= 0;
    if (e.textDelta().isEmpty() && !e.isFinal() && !(logprobs && hasToken)) return null;
    ObjectNode o = meta.startChunk();
    ObjectNode ch = o.putArray("choices").addObject();
    ch.put("index", e.choiceIndex());
    ObjectNode delta = ch.putObject("delta");
    if (!e.textDelta().isEmpty() || !e.isFinal()) delta.put("content", e.textDelta());
    if (logprobs && hasToken) {
      ch.putObject("logprobs").putArray("content").add(entry(e.tokenId(), e.logprob(), e.topLogprobs()));
    } else {
      ch.putNull("logprobs");
    }
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

  private ObjectNode entry(int id, float logprob, List<TokenLogprob> top) {
    ObjectNode e = token(id, logprob);
    ArrayNode alts = e.putArray("top_logprobs");
    if (top != null) for (TokenLogprob t : top) alts.add(token(t.tokenId(), t.logprob()));
    return e;
  }

  private ObjectNode token(int id, float logprob) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("token", tokens.text(id));
    n.put("logprob", ResponseFormat.finite(logprob));
    ArrayNode bytes = n.putArray("bytes");
    for (byte b : tokens.bytes(id)) bytes.add(b & 0xff);
    return n;
  }
}
