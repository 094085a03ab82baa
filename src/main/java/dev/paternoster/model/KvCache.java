package dev.paternoster.model;

/**
 * Storage for keys and values, in fixed-size pages of {@link #pageSize()} token positions.
 *
 * <p>The model owns the memory and its layout; the engine owns which page belongs to whom
 * (allocation, sharing, eviction). Pages are numbered {@code 0..numPages()-1}.
 */
public interface KvCache extends AutoCloseable {
  int numPages();

  int pageSize();

  /** Copies all positions of page {@code src} into page {@code dst} (copy-on-write for forks). */
  void copyPage(int src, int dst);

  /** Bytes of memory held. */
  long byteSize();

  @Override
  void close();
}
