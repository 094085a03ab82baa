package dev.paternoster.engine;

/**
 * The engine's state at one moment (gauges and counters for {@code /metrics} and health checks).
 * Pages: {@code kvPagesUsed + kvPagesCached + kvPagesFree == kvPagesTotal}.
 *
 * @param running sequences admitted and not finished ({@code num_requests_running} counts requests;
 *     with n = 1 they are the same)
 * @param waiting sequences queued, not yet admitted or preempted ({@code num_requests_waiting})
 * @param kvPagesTotal pages in the KV cache
 * @param kvPagesUsed pages referenced by live sequences
 * @param kvPagesCached unreferenced pages still holding a prefix-cache entry (reusable, evictable)
 * @param kvPagesFree unreferenced pages without a cache entry
 * @param pageSize token positions per page
 * @param preemptionsTotal {@code num_preemptions_total}
 * @param promptTokensTotal {@code prompt_tokens_total}: prompt tokens of admitted requests
 * @param generationTokensTotal {@code generation_tokens_total}
 * @param prefixCacheQueriesTotal prompt tokens looked up in the prefix cache
 * @param prefixCacheHitsTotal of which found
 * @param requestsFinishedTotal requests completed (any finish reason)
 * @param steps engine steps run
 */
public record EngineSnapshot(
    int running,
    int waiting,
    int kvPagesTotal,
    int kvPagesUsed,
    int kvPagesCached,
    int kvPagesFree,
    int pageSize,
    long preemptionsTotal,
    long promptTokensTotal,
    long generationTokensTotal,
    long prefixCacheQueriesTotal,
    long prefixCacheHitsTotal,
    long requestsFinishedTotal,
    long steps) {

  /** {@code kv_cache_usage_perc}: used pages / total, 0..1. */
  public double kvCacheUsage() {
    return kvPagesTotal == 0 ? 0 : (double) kvPagesUsed / kvPagesTotal;
  }

  /** Prefix-cache hit rate in tokens, 0..1 (0 before any query). */
  public double prefixCacheHitRate() {
    return prefixCacheQueriesTotal == 0 ? 0 : (double) prefixCacheHitsTotal / prefixCacheQueriesTotal;
  }

  /** Tokens the KV cache holds in total. */
  public int capacityTokens() {
    return kvPagesTotal * pageSize;
  }
}
