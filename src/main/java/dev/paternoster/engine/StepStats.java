package dev.paternoster.engine;

import java.util.List;

/**
 * What one engine step did (one forward call), for live views and metrics.
 *
 * @param step step number, from 1
 * @param wallNanos wall time of the whole step (schedule, forward, sampling, output)
 * @param entries the batch, one entry per sequence
 * @param prefillTokens prompt tokens computed in this step
 * @param decodeTokens decode tokens computed in this step
 * @param waiting waiting sequences after the step
 * @param running running sequences after the step
 * @param kvPagesUsed pages referenced by live sequences
 * @param kvPagesFree pages free and holding nothing reusable
 * @param kvPagesCached free pages still holding a prefix-cache entry (evictable)
 * @param preemptionsTotal preemptions since start
 * @param preemptionsInStep preemptions made while scheduling this step
 * @param prefixCacheHitRate prefix-cache hit tokens / queried tokens since start (0 if none)
 */
public record StepStats(
    long step,
    long wallNanos,
    List<StepEntry> entries,
    int prefillTokens,
    int decodeTokens,
    int waiting,
    int running,
    int kvPagesUsed,
    int kvPagesFree,
    int kvPagesCached,
    long preemptionsTotal,
    int preemptionsInStep,
    double prefixCacheHitRate) {

  public StepStats {
    entries = List.copyOf(entries);
  }

  public int batchTokens() {
    return prefillTokens + decodeTokens;
  }
}
