package dev.paternoster.model;

import dev.paternoster.tokenizer.Tokenizer;

/**
 * A language model that computes next-token logits for a flat batch of tokens of many sequences.
 *
 * <p>{@link #forward} streams every weight matrix once per call for all the batch's tokens: that is
 * where batching wins on memory-bound hardware. A sequence's logits do not depend on what else
 * shares its batch, nor on how its prompt was split into chunks (batch invariance).
 */
public interface Model extends AutoCloseable {
  ModelConfig config();

  Tokenizer tokenizer();

  /**
   * Whether a token's results depend on whether it is one of its prompt's rows ({@link Batch#promptRow}):
   * then K/V computed for a position as a prompt token must not be reused for it as a generated
   * token (the prefix cache keys pages by that too).
   */
  default boolean promptRowsMatter() {
    return false;
  }

  /** Bytes one KV page of {@code pageSize} positions takes (all layers, keys and values) with {@code dtype} elements. */
  long kvBytesPerPage(int pageSize, KvCacheDtype dtype);

  /** {@link #kvBytesPerPage(int, KvCacheDtype)} with the default type ({@link KvCacheDtype#DEFAULT}). */
  default long kvBytesPerPage(int pageSize) {
    return kvBytesPerPage(pageSize, KvCacheDtype.DEFAULT);
  }

  /** Allocates KV storage for {@code numPages} pages of {@code pageSize} positions holding {@code dtype} elements. */
  KvCache newKvCache(int numPages, int pageSize, KvCacheDtype dtype);

  /** {@link #newKvCache(int, int, KvCacheDtype)} with the default type ({@link KvCacheDtype#DEFAULT}). */
  default KvCache newKvCache(int numPages, int pageSize) {
    return newKvCache(numPages, pageSize, KvCacheDtype.DEFAULT);
  }

  /**
   * Runs one step: writes the batch's keys and values into {@code kv} and the logits of
   * {@code batch.logitRows()} into {@code logits}, row after row ({@code vocabSize} floats each).
   */
  void forward(Batch batch, KvCache kv, float[] logits);

  /** Largest number of tokens one {@link #forward} call accepts (scratch buffers are sized for it). */
  int maxBatchTokens();

  @Override
  void close();
}
