package dev.paternoster.engine;

import dev.paternoster.model.Batch;
import dev.paternoster.model.KvCache;
import dev.paternoster.model.Model;
import dev.paternoster.model.ModelConfig;
import dev.paternoster.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A deterministic stand-in for a real model, strict about the KV cache.
 *
 * <p>Its "KV" stores the token id written at every position of every page. {@link #forward} first
 * writes the batch's tokens through the block tables, then computes each requested logits row from
 * the sequence's whole context <em>read back through its block table</em>. So a wrong block table, a
 * prefix-cache hit on the wrong page, a page reused while still shared, or a bad recompute after
 * preemption changes the context and therefore the generated tokens. Reading a never-written slot
 * throws.
 *
 * <p>The logits are a function of the context only (batch invariance by construction): by default a
 * pseudo-random spread in [0, 2) plus a clear winner chosen by {@link Rule}.
 */
final class FakeModel implements Model {
  /** Picks the strongly preferred next token from the context {@code ctx[0..len)}. */
  @FunctionalInterface
  interface Rule {
    int next(int[] ctx, int len);
  }

  static final int EMPTY = Integer.MIN_VALUE;

  private final FakeTokenizer tokenizer = new FakeTokenizer();
  private final ModelConfig config;
  private final int maxBatchTokens;
  private volatile Rule rule;
  /** Called at the start of every forward (tests use it to fail, slow down, or act mid-run). */
  volatile Consumer<Batch> beforeForward = b -> {};

  volatile int forwardCalls;
  volatile int tokensComputed;

  FakeModel() {
    this(FakeModel::defaultRule, 2048, 4096);
  }

  FakeModel(Rule rule, int contextLength, int maxBatchTokens) {
    this.rule = rule;
    this.maxBatchTokens = maxBatchTokens;
    this.config = new ModelConfig(
        "fake", "fake", 8, 1, 1, 1, 8, 8, FakeTokenizer.VOCAB, contextLength, 1e-5f, 10000f, false, "none",
        1f, 1f, 1f, contextLength, false, false, false);
  }

  /** Plain letters, ending with EOS when the context hash says so (about one in {@code eosEvery}). */
  static Rule withEos(int eosEvery) {
    return (ctx, len) -> {
      long h = hash(ctx, len);
      if (Math.floorMod(h >>> 7, eosEvery) == 0) return FakeTokenizer.EOS;
      return 2 + (int) Math.floorMod(h, 52L);
    };
  }

  /** Plain letters (ids 2..53), never an end token: generation runs to max_tokens. */
  static int defaultRule(int[] ctx, int len) {
    return 2 + (int) Math.floorMod(hash(ctx, len), 52L);
  }

  /** After a prompt of {@code promptLen} tokens, emits {@code script} in order (then repeats it). */
  static Rule scripted(int promptLen, int... script) {
    return (ctx, len) -> script[(len - promptLen) % script.length];
  }

  void rule(Rule r) {
    this.rule = r;
  }

  static long hash(int[] ctx, int len) {
    long h = 0x1234_5678_9ABCL;
    for (int i = 0; i < len; i++) {
      h = (h ^ ctx[i]) * 0x9E3779B97F4A7C15L;
      h ^= h >>> 29;
    }
    return h;
  }

  /** The logits row for a context (what {@link #forward} writes); exposed for reference checks. */
  void logits(int[] ctx, int len, float[] out, int off) {
    long h = hash(ctx, len);
    for (int v = 0; v < FakeTokenizer.VOCAB; v++) {
      long z = (h + v) * 0xBF58476D1CE4E5B9L;
      z ^= z >>> 31;
      out[off + v] = (z >>> 40) / (float) (1 << 24) * 2f;
    }
    out[off + rule.next(ctx, len)] += 6f;
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public long kvBytesPerPage(int pageSize, dev.paternoster.model.KvCacheDtype dtype) {
    return 1024L * pageSize; // the fake stores no values: the same page size whatever the type
  }

  @Override
  public KvCache newKvCache(int numPages, int pageSize, dev.paternoster.model.KvCacheDtype dtype) {
    return new FakeKv(numPages, pageSize);
  }

  @Override
  public void forward(Batch batch, KvCache kvCache, float[] logits) {
    beforeForward.accept(batch);
    FakeKv kv = (FakeKv) kvCache;
    if (kv.closed) throw new IllegalStateException("KV cache closed");
    if (batch.size() > maxBatchTokens) throw new IllegalArgumentException("batch of " + batch.size() + " > " + maxBatchTokens);
    int p = kv.pageSize;
    for (int[] table : batch.blockTables()) {
      int[] sorted = table.clone();
      Arrays.sort(sorted);
      for (int i = 0; i < sorted.length; i++) {
        if (sorted[i] < 0 || sorted[i] >= kv.numPages) throw new IllegalStateException("page " + sorted[i] + " out of range");
        if (i > 0 && sorted[i] == sorted[i - 1]) throw new IllegalStateException("page " + sorted[i] + " twice in one block table");
      }
    }
    for (int i = 0; i < batch.size(); i++) {
      int[] table = batch.blockTables()[batch.seq()[i]];
      int pos = batch.positions()[i];
      if (pos / p >= table.length) throw new IllegalStateException("position " + pos + " beyond block table of " + table.length + " pages");
      kv.slots[table[pos / p] * p + pos % p] = batch.tokens()[i];
    }
    int[] rows = batch.logitRows();
    for (int r = 0; r < rows.length; r++) {
      int row = rows[r];
      int[] table = batch.blockTables()[batch.seq()[row]];
      int len = batch.positions()[row] + 1;
      int[] ctx = new int[len];
      for (int q = 0; q < len; q++) {
        int v = kv.slots[table[q / p] * p + q % p];
        if (v == EMPTY) throw new IllegalStateException("read unwritten KV slot at position " + q);
        ctx[q] = v;
      }
      logits(ctx, len, logits, r * FakeTokenizer.VOCAB);
    }
    forwardCalls++;
    tokensComputed += batch.size();
  }

  @Override
  public int maxBatchTokens() {
    return maxBatchTokens;
  }

  @Override
  public void close() {}

  static final class FakeKv implements KvCache {
    final int numPages;
    final int pageSize;
    final int[] slots;
    volatile boolean closed;

    FakeKv(int numPages, int pageSize) {
      this.numPages = numPages;
      this.pageSize = pageSize;
      this.slots = new int[numPages * pageSize];
      Arrays.fill(slots, EMPTY);
    }

    @Override
    public int numPages() {
      return numPages;
    }

    @Override
    public int pageSize() {
      return pageSize;
    }

    @Override
    public void copyPage(int src, int dst) {
      System.arraycopy(slots, src * pageSize, slots, dst * pageSize, pageSize);
    }

    @Override
    public long byteSize() {
      return slots.length * 4L;
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
