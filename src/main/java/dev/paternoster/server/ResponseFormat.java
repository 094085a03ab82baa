package dev.paternoster.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paternoster.engine.GenerationResult;
import dev.paternoster.engine.TokenEvent;
import java.util.List;

/**
 * The JSON shapes of one endpoint ({@code text_completion} or {@code chat.completion}), for one
 * request. Instances hold per-choice streaming state and are used by one thread.
 */
interface ResponseFormat {
  /** The whole answer of a non-streaming request. */
  ObjectNode response(GenerationResult result);

  /** Chunks sent before any token (chat announces the assistant role of each choice). */
  List<ObjectNode> openingChunks(int n);

  /** The chunk for one token event, or null when it carries nothing to send. */
  ObjectNode chunk(TokenEvent event);

  /**
   * The chunk {@link #chunk} makes for an event that is not its choice's last, when that chunk
   * depends on nothing but the choice index and the text (no log-probabilities); null when chunks
   * carry more. {@link ChunkEncoder} serializes it once per choice and escapes only the text per
   * token.
   */
  ObjectNode textChunk(int choiceIndex, String text);

  /**
   * A mid-stream event that carries only text: what {@link #textChunk} implementations pass to
   * {@link #chunk}, so the template is that chunk by construction (the token id only matters with
   * log-probabilities, when there is no template).
   */
  static TokenEvent textEvent(int choiceIndex, String text) {
    return new TokenEvent(choiceIndex, 0, text, Float.NaN, null, null, null);
  }

  /** The closing chunk with {@code usage} and no choices ({@code stream_options.include_usage}). */
  ObjectNode usageChunk(GenerationResult result);

  /** Whether the stream ends with {@link #usageChunk}. */
  boolean includeUsage();

  /** Fields every response and chunk starts with. */
  record Meta(String id, String object, long created, String model, boolean includeUsage) {
    ObjectNode start() {
      ObjectNode o = Json.MAPPER.createObjectNode();
      o.put("id", id);
      o.put("object", object);
      o.put("created", created);
      o.put("model", model);
      return o;
    }

    ObjectNode startChunk() {
      ObjectNode o = start();
      if (includeUsage) o.putNull("usage"); // OpenAI: usage is null on every chunk but the last
      return o;
    }
  }

  static ObjectNode usage(GenerationResult r) {
    ObjectNode u = Json.MAPPER.createObjectNode();
    u.put("prompt_tokens", r.promptTokens());
    u.put("completion_tokens", r.completionTokens());
    u.put("total_tokens", r.promptTokens() + r.completionTokens());
    return u;
  }

  /** JSON has no -Infinity; vLLM reports impossible tokens as -9999.0, and so do we. */
  static float finite(float logprob) {
    return Float.isFinite(logprob) ? logprob : -9999f;
  }

  /** vLLM's {@code stop_reason}: the matched stop string, a stop token id as a number, or null. */
  static void putStopReason(ObjectNode choice, String stopReason, boolean finished) {
    if (!finished || stopReason == null) {
      choice.putNull("stop_reason");
      return;
    }
    try {
      choice.put("stop_reason", Integer.parseInt(stopReason));
    } catch (NumberFormatException e) {
      choice.put("stop_reason", stopReason);
    }
  }
}
