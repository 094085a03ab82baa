package dev.paternoster.engine;

import dev.paternoster.model.KvCacheDtype;
import java.time.Duration;

/**
 * How the engine batches and how much KV memory it takes. Build with {@link #builder()}.
 *
 * <p>KV memory, first match wins: {@link #numPages} (tests), {@link #kvCacheBytes}, {@link
 * #kvCacheFraction} of the machine's free physical memory at start; with none of them set the
 * engine takes enough pages for {@code maxNumSeqs} full contexts, but at most half the free memory.
 *
 * @param pageSize token positions per KV page (16)
 * @param kvCacheBytes bytes for the KV cache; 0 = unset
 * @param kvCacheFraction fraction (0, 1) of free physical memory for the KV cache; 0 = unset
 * @param numPages exact number of KV pages; 0 = unset
 * @param maxNumSeqs most sequences in one step (64)
 * @param maxNumBatchedTokens token budget of one step, decode tokens plus prefill chunks (512; at
 *     most the model's {@code maxBatchTokens})
 * @param maxWait when idle, how long the first arrival may be held to gather a fuller first batch
 *     (0 = start at once); in {@link Mode#STATIC} the batch collection window
 * @param policy order of the waiting queue
 * @param mode continuous (iteration-level) or static (request-level) batching
 * @param maxBatchSize requests per batch in {@link Mode#STATIC}
 * @param maxQueuedRequests most waiting requests; beyond, {@link Engine#submit} throws {@link
 *     QueueFullException}
 * @param enablePrefixCaching reuse KV pages of identical prompt prefixes
 * @param maxModelLen longest prompt + max_tokens; 0 = the model's context length
 * @param priorityAgingSteps under {@link Policy#PRIORITY}, a waiting request gains one priority
 *     level per this many engine steps it has waited, so low priorities cannot starve
 * @param kvCacheDtype element type of the KV cache: F16 (default, llama.cpp's default arithmetic,
 *     half the bytes per page) or F32
 */
public record EngineConfig(
    int pageSize,
    long kvCacheBytes,
    double kvCacheFraction,
    int numPages,
    int maxNumSeqs,
    int maxNumBatchedTokens,
    Duration maxWait,
    Policy policy,
    Mode mode,
    int maxBatchSize,
    int maxQueuedRequests,
    boolean enablePrefixCaching,
    int maxModelLen,
    int priorityAgingSteps,
    KvCacheDtype kvCacheDtype) {

  /** Order in which waiting requests are admitted (and, reversed, preempted). */
  public enum Policy {
    /** First come, first served; preemption takes the most recently admitted. */
    FCFS,
    /** Lowest {@link GenerationRequest#priority()} value first, then arrival; with aging. */
    PRIORITY
  }

  /** Batching granularity. */
  public enum Mode {
    /** Iteration-level: requests join and leave the running batch at every step. */
    CONTINUOUS,
    /** Request-level baseline: a batch is formed, run to completion, and only then the next. */
    STATIC
  }

  public EngineConfig {
    if (maxWait == null) maxWait = Duration.ZERO;
    if (policy == null) policy = Policy.FCFS;
    if (mode == null) mode = Mode.CONTINUOUS;
    if (kvCacheDtype == null) kvCacheDtype = KvCacheDtype.DEFAULT;
    if (pageSize < 1) throw new IllegalArgumentException("pageSize must be at least 1, got " + pageSize);
    if (kvCacheBytes < 0) throw new IllegalArgumentException("kvCacheBytes must be >= 0, got " + kvCacheBytes);
    if (!(kvCacheFraction >= 0 && kvCacheFraction < 1)) {
      throw new IllegalArgumentException("kvCacheFraction must be in [0, 1), got " + kvCacheFraction);
    }
    if (numPages < 0) throw new IllegalArgumentException("numPages must be >= 0, got " + numPages);
    if (maxNumSeqs < 1) throw new IllegalArgumentException("maxNumSeqs must be at least 1, got " + maxNumSeqs);
    if (maxNumBatchedTokens < 1) {
      throw new IllegalArgumentException("maxNumBatchedTokens must be at least 1, got " + maxNumBatchedTokens);
    }
    if (maxWait.isNegative()) throw new IllegalArgumentException("maxWait must not be negative");
    if (maxBatchSize < 1) throw new IllegalArgumentException("maxBatchSize must be at least 1, got " + maxBatchSize);
    if (maxQueuedRequests < 1) {
      throw new IllegalArgumentException("maxQueuedRequests must be at least 1, got " + maxQueuedRequests);
    }
    if (maxModelLen < 0) throw new IllegalArgumentException("maxModelLen must be >= 0, got " + maxModelLen);
    if (priorityAgingSteps < 1) {
      throw new IllegalArgumentException("priorityAgingSteps must be at least 1, got " + priorityAgingSteps);
    }
  }

  public static EngineConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  public static final class Builder {
    private int pageSize = 16;
    private long kvCacheBytes;
    private double kvCacheFraction;
    private int numPages;
    private int maxNumSeqs = 64;
    private int maxNumBatchedTokens = 512;
    private Duration maxWait = Duration.ZERO;
    private Policy policy = Policy.FCFS;
    private Mode mode = Mode.CONTINUOUS;
    private int maxBatchSize = 8;
    private int maxQueuedRequests = 1024;
    private boolean enablePrefixCaching = true;
    private int maxModelLen;
    private int priorityAgingSteps = 256;
    private KvCacheDtype kvCacheDtype = KvCacheDtype.DEFAULT;

    private Builder() {}

    private Builder(EngineConfig c) {
      pageSize = c.pageSize;
      kvCacheBytes = c.kvCacheBytes;
      kvCacheFraction = c.kvCacheFraction;
      numPages = c.numPages;
      maxNumSeqs = c.maxNumSeqs;
      maxNumBatchedTokens = c.maxNumBatchedTokens;
      maxWait = c.maxWait;
      policy = c.policy;
      mode = c.mode;
      maxBatchSize = c.maxBatchSize;
      maxQueuedRequests = c.maxQueuedRequests;
      enablePrefixCaching = c.enablePrefixCaching;
      maxModelLen = c.maxModelLen;
      priorityAgingSteps = c.priorityAgingSteps;
      kvCacheDtype = c.kvCacheDtype;
    }

    public Builder pageSize(int v) { pageSize = v; return this; }
    public Builder kvCacheBytes(long v) { kvCacheBytes = v; return this; }
    public Builder kvCacheFraction(double v) { kvCacheFraction = v; return this; }
    public Builder numPages(int v) { numPages = v; return this; }
    public Builder maxNumSeqs(int v) { maxNumSeqs = v; return this; }
    public Builder maxNumBatchedTokens(int v) { maxNumBatchedTokens = v; return this; }
    public Builder maxWait(Duration v) { maxWait = v; return this; }
    public Builder policy(Policy v) { policy = v; return this; }
    public Builder mode(Mode v) { mode = v; return this; }
    public Builder maxBatchSize(int v) { maxBatchSize = v; return this; }
    public Builder maxQueuedRequests(int v) { maxQueuedRequests = v; return this; }
    public Builder enablePrefixCaching(boolean v) { enablePrefixCaching = v; return this; }
    public Builder maxModelLen(int v) { maxModelLen = v; return this; }
    public Builder priorityAgingSteps(int v) { priorityAgingSteps = v; return this; }
    public Builder kvCacheDtype(KvCacheDtype v) { kvCacheDtype = v; return this; }

    public EngineConfig build() {
      return new EngineConfig(
          pageSize, kvCacheBytes, kvCacheFraction, numPages, maxNumSeqs, maxNumBatchedTokens,
          maxWait, policy, mode, maxBatchSize, maxQueuedRequests, enablePrefixCaching, maxModelLen,
          priorityAgingSteps, kvCacheDtype);
    }
  }
}
