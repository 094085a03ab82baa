package dev.paternoster.server;

import dev.paternoster.engine.SamplingParams;

/**
 * What both generation endpoints share once the body is read: the model asked for, sampling
 * parameters, scheduling priority and how to stream.
 *
 * @param model the {@code model} field, or null when the client left it out
 * @param sampling sampling parameters; {@code maxTokens} is a placeholder until {@link
 *     #requestedMaxTokens} is resolved against the prompt length
 * @param requestedMaxTokens {@code max_tokens}/{@code max_completion_tokens}, or null for the default
 * @param priority vLLM's {@code priority} (lower is served first under --scheduling-policy priority)
 * @param stream {@code stream}
 * @param includeUsage {@code stream_options.include_usage}
 */
public record GenerationOptions(
    String model,
    SamplingParams sampling,
    Integer requestedMaxTokens,
    int priority,
    boolean stream,
    boolean includeUsage) {}
