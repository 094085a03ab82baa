package dev.paternoster.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.engine.SamplingParams;
import java.util.List;

/**
 * A parsed {@code POST /v1/chat/completions} body.
 *
 * @param logprobs chat's boolean {@code logprobs}
 * @param topLogprobs {@code top_logprobs}, 0..20 (only with logprobs)
 * @param addGenerationPrompt vLLM's {@code add_generation_prompt} (default true)
 */
public record ChatRequest(
    List<ChatMessage> messages,
    boolean logprobs,
    int topLogprobs,
    boolean addGenerationPrompt,
    GenerationOptions options) {

  public static ChatRequest parse(RequestFields f) {
    List<ChatMessage> messages = ChatMessage.parseAll(f.raw("messages"));
    Boolean lp = f.bool("logprobs");
    Integer top = f.integer("top_logprobs");
    boolean logprobs = lp != null && lp;
    if (top != null && !logprobs) {
      throw ApiException.badRequest("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
    }
    int topLogprobs = top == null ? 0 : top;
    if (topLogprobs < 0 || topLogprobs > SamplingParams.MAX_LOGPROBS) {
      throw ApiException.badRequest("top_logprobs", "top_logprobs must be in [0, " + SamplingParams.MAX_LOGPROBS + "], got " + topLogprobs);
    }
    Boolean agp = f.bool("add_generation_prompt");
    JsonNode tools = f.raw("tools");
    if (tools != null && !(tools.isArray() && tools.isEmpty())) {
      throw ApiException.badRequest("tools", "'tools': tool calling is not supported by this server");
    }
    JsonNode toolChoice = f.raw("tool_choice");
    if (toolChoice != null && !(toolChoice.isTextual() && toolChoice.textValue().equals("none"))) {
      throw ApiException.badRequest("tool_choice", "'tool_choice': tool calling is not supported by this server");
    }
    JsonNode rf = f.raw("response_format");
    if (rf != null) {
      JsonNode type = rf.isObject() ? rf.get("type") : null;
      if (type == null || !type.isTextual() || !type.textValue().equals("text")) {
        throw ApiException.badRequest("response_format", "Only response_format {\"type\":\"text\"} is supported");
      }
    }
    f.accept("parallel_tool_calls");
    GenerationOptions options = OpenAiRequest.parseCommon(f, true, logprobs ? topLogprobs : null);
    return new ChatRequest(messages, logprobs, topLogprobs, agp == null || agp, options);
  }
}
