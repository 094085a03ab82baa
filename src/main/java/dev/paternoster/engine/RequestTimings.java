package dev.paternoster.engine;

/**
 * Latency of one request (the numbers behind vLLM's request histograms).
 *
 * @param arrivalNanos {@link System#nanoTime()} when {@link Engine#submit} accepted it
 * @param queueSeconds arrival until first scheduled ({@code request_queue_time_seconds})
 * @param ttftSeconds arrival until the first token ({@code time_to_first_token_seconds}); NaN if none
 * @param e2eSeconds arrival until finished ({@code e2e_request_latency_seconds})
 * @param meanInterTokenSeconds mean gap between consecutive tokens of a choice ({@code
 *     inter_token_latency_seconds}); NaN with fewer than two tokens
 * @param prefixCachedTokens prompt tokens found in the prefix cache at first admission
 */
public record RequestTimings(
    long arrivalNanos,
    double queueSeconds,
    double ttftSeconds,
    double e2eSeconds,
    double meanInterTokenSeconds,
    int prefixCachedTokens) {}
