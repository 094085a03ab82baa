package dev.paternoster.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * F32 keys and values in off-heap pages. Layout per layer: {@code [page][slot][kvDim]}, so one
 * page of one layer is a contiguous {@code pageSize * kvDim} floats and a position's K (or V) row
 * is contiguous for the attention dot products.
 */
public final class PagedKvCache implements KvCache {
  private final Arena arena = Arena.ofShared();
  private final int numPages;
  private final int pageSize;
  private final int kvDim;
  final MemorySegment[] keys;
  final MemorySegment[] values;

  public PagedKvCache(int layers, int kvDim, int numPages, int pageSize) {
    if (numPages <= 0 || pageSize <= 0) throw new IllegalArgumentException("KV cache needs pages > 0 and pageSize > 0");
    this.numPages = numPages;
    this.pageSize = pageSize;
    this.kvDim = kvDim;
    this.keys = new MemorySegment[layers];
    this.values = new MemorySegment[layers];
    long bytes = (long) numPages * pageSize * kvDim * Float.BYTES;
    for (int l = 0; l < layers; l++) {
      keys[l] = arena.allocate(bytes, 64);
      values[l] = arena.allocate(bytes, 64);
    }
  }

  public static long bytesPerPage(int layers, int kvDim, int pageSize) {
    return 2L * layers * pageSize * kvDim * Float.BYTES;
  }

  /** Byte offset of position {@code slot} (= page * pageSize + offset) in a layer segment. */
  long offset(int page, int inPage) {
    return ((long) page * pageSize + inPage) * kvDim * Float.BYTES;
  }

  void write(int layer, int page, int inPage, float[] k, int kOff, float[] v, int vOff) {
    long at = offset(page, inPage);
    MemorySegment.copy(k, kOff, keys[layer], ValueLayout.JAVA_FLOAT_UNALIGNED, at, kvDim);
    MemorySegment.copy(v, vOff, values[layer], ValueLayout.JAVA_FLOAT_UNALIGNED, at, kvDim);
  }

  @Override
  public int numPages() {
    return numPages;
  }

  @Override
  public int pageSize() {
    return pageSize;
  }

  public int kvDim() {
    return kvDim;
  }

  @Override
  public void copyPage(int src, int dst) {
    long len = (long) pageSize * kvDim * Float.BYTES;
    for (int l = 0; l < keys.length; l++) {
      MemorySegment.copy(keys[l], offset(src, 0), keys[l], offset(dst, 0), len);
      MemorySegment.copy(values[l], offset(src, 0), values[l], offset(dst, 0), len);
    }
  }

  @Override
  public long byteSize() {
    return 2L * keys.length * keys[0].byteSize();
  }

  @Override
  public void close() {
    arena.close();
  }
}
