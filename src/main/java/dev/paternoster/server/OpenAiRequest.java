package dev.paternoster.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.engine.SamplingParams;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the sampling and streaming fields that /v1/completions and /v1/chat/completions share, with
 * OpenAI's names and vLLM's extensions ({@code top_k}, {@code min_p}, {@code repetition_penalty},
 * {@code min_tokens}, {@code ignore_eos}, {@code priority}, {@code stop_token_ids}).
 *
 * <p>Types are checked here (a string where a number belongs is a 400 naming the field); ranges are
 * checked by {@link SamplingParams#validate} once the prompt is known, so that the engine and the
 * server agree on one set of rules.
 */
public final class OpenAiRequest {
  /** OpenAI's documented temperature range is [0, 2]; beyond it output is noise, so we refuse it. */
  static final double MAX_TEMPERATURE = 2.0;

  /** More stop strings than this only slows every step's stop check; OpenAI allows 4. */
  static final int MAX_STOP_STRINGS = 64;

  private OpenAiRequest() {}

  /**
   * Reads the shared fields. {@code logprobs} is left to the caller (its meaning differs between
   * the two endpoints); pass the already-read value in {@code logprobs}.
   */
  public static GenerationOptions parseCommon(RequestFields f, boolean chat, Integer logprobs) {
    SamplingParams.Builder b = SamplingParams.builder();
    String model = f.string("model");

    Integer maxTokens = f.integer("max_tokens");
    if (chat) {
      Integer mct = f.integer("max_completion_tokens");
      if (mct != null) maxTokens = mct; // OpenAI's newer name wins when both are sent
    }
    if (maxTokens != null && maxTokens < 1) {
      throw ApiException.badRequest(chat && f.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens",
          "max_tokens must be at least 1, got " + maxTokens);
    }

    Double temperature = f.number("temperature");
    if (temperature != null) {
      if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
        throw ApiException.badRequest("temperature", "temperature must be in [0, 2], got " + temperature);
      }
      b.temperature(temperature.floatValue());
    }
    Double topP = f.number("top_p");
    if (topP != null) b.topP(topP.floatValue());
    Integer topK = f.integer("top_k");
    if (topK != null) b.topK(topK);
    Double minP = f.number("min_p");
    if (minP != null) b.minP(minP.floatValue());
    Double rep = f.number("repetition_penalty");
    if (rep != null) b.repetitionPenalty(rep.floatValue());
    Double presence = f.number("presence_penalty");
    if (presence != null) b.presencePenalty(presence.floatValue());
    Double frequency = f.number("frequency_penalty");
    if (frequency != null) b.frequencyPenalty(frequency.floatValue());
    Integer n = f.integer("n");
    if (n != null) b.n(n);
    Long seed = f.longValue("seed");
    if (seed != null) b.seed(seed);
    Integer minTokens = f.integer("min_tokens");
    if (minTokens != null) b.minTokens(minTokens);
    Boolean ignoreEos = f.bool("ignore_eos");
    if (ignoreEos != null) b.ignoreEos(ignoreEos);
    b.stop(stopStrings(f.raw("stop")));
    b.stopTokenIds(stopTokenIds(f.raw("stop_token_ids")));
    b.logitBias(logitBias(f.raw("logit_bias")));
    if (logprobs != null) b.logprobs(logprobs);

    Integer priority = f.integer("priority");
    Boolean stream = f.bool("stream");
    boolean streaming = stream != null && stream;
    boolean includeUsage = false;
    JsonNode so = f.raw("stream_options");
    if (so != null) {
      if (!so.isObject()) throw RequestFields.wrongType("stream_options", "an object", so);
      if (!streaming) {
        throw ApiException.badRequest("stream_options", "stream_options is only allowed when stream is true");
      }
      JsonNode iu = so.get("include_usage");
      if (iu != null && !iu.isNull()) {
        if (!iu.isBoolean()) throw RequestFields.wrongType("stream_options.include_usage", "a boolean", iu);
        includeUsage = iu.booleanValue();
      }
    }
    // Accepted and without effect here: who the user is, and vLLM's detokenization switches whose
    // default (skip special tokens, spaces between them) is what Paternoster always does.
    f.accept("user", "skip_special_tokens", "spaces_between_special_tokens");

    return new GenerationOptions(model, b.build(), maxTokens, priority == null ? 0 : priority, streaming, includeUsage);
  }

  static List<String> stopStrings(JsonNode stop) {
    if (stop == null) return List.of();
    List<String> out = new ArrayList<>();
    if (stop.isTextual()) {
      out.add(stop.textValue());
    } else if (stop.isArray()) {
      for (JsonNode s : stop) {
        if (!s.isTextual()) {
          throw ApiException.badRequest("stop", "'stop' must be a string or an array of strings, found an element of type " + RequestFields.typeName(s));
        }
        out.add(s.textValue());
      }
    } else {
      throw RequestFields.wrongType("stop", "a string or an array of strings", stop);
    }
    if (out.size() > MAX_STOP_STRINGS) {
      throw ApiException.badRequest("stop", "'stop' may hold at most " + MAX_STOP_STRINGS + " strings, got " + out.size());
    }
    for (String s : out) {
      if (s.isEmpty()) throw ApiException.badRequest("stop", "'stop' must not contain empty strings");
      Text.requireWellFormed("stop", s);
    }
    return out;
  }

  static Set<Integer> stopTokenIds(JsonNode ids) {
    if (ids == null) return Set.of();
    if (!ids.isArray()) throw RequestFields.wrongType("stop_token_ids", "an array of integers", ids);
    Set<Integer> out = new LinkedHashSet<>();
    for (JsonNode id : ids) out.add(RequestFields.asInt("stop_token_ids", id));
    return out;
  }

  static Map<Integer, Float> logitBias(JsonNode bias) {
    if (bias == null) return Map.of();
    if (!bias.isObject()) throw RequestFields.wrongType("logit_bias", "an object mapping token ids to numbers", bias);
    Map<Integer, Float> out = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = bias.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      int id;
      try {
        id = Integer.parseInt(e.getKey().trim());
      } catch (NumberFormatException x) {
        throw ApiException.badRequest("logit_bias", "logit_bias keys must be token ids, got \"" + e.getKey() + "\"");
      }
      if (!e.getValue().isNumber()) {
        throw ApiException.badRequest("logit_bias", "logit_bias values must be numbers, got " + RequestFields.typeName(e.getValue()) + " for token " + id);
      }
      out.put(id, e.getValue().floatValue());
    }
    return out;
  }
}
