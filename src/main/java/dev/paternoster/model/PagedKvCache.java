package dev.paternoster.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Keys and values in off-heap pages, as F16 (llama.cpp's default) or F32 elements. Layout per
 * layer: {@code [page][slot][kvDim]}, so one page of one layer is a contiguous
 * {@code pageSize * kvDim} elements and a position's K (or V) row is contiguous for the attention
 * dot products. F16 elements are rounded to nearest even when written, as llama.cpp's
 * {@code ggml_cpy} to an F16 cache rounds them.
 */
public final class PagedKvCache implements KvCache {
  static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
  static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;

  private final Arena arena = Arena.ofShared();
  private final int numPages;
  private final int pageSize;
  private final int kvDim;
  private final KvCacheDtype dtype;
  private final int elemBytes;
  final MemorySegment[] keys;
  final MemorySegment[] values;

  public PagedKvCache(int layers, int kvDim, int numPages, int pageSize, KvCacheDtype dtype) {
    if (numPages <= 0 || pageSize <= 0) throw new IllegalArgumentException("KV cache needs pages > 0 and pageSize > 0");
    this.numPages = numPages;
    this.pageSize = pageSize;
    this.kvDim = kvDim;
    this.dtype = java.util.Objects.requireNonNull(dtype, "dtype");
    this.elemBytes = dtype.bytes();
    this.keys = new MemorySegment[layers];
    this.values = new MemorySegment[layers];
    long bytes = (long) numPages * pageSize * kvDim * elemBytes;
    for (int l = 0; l < layers; l++) {
      // zeroed lazily: pages become resident as sequences fill them, not all at start-up
      keys[l] = ZeroedMemory.allocate(bytes, arena);
      values[l] = ZeroedMemory.allocate(bytes, arena);
    }
  }

  public PagedKvCache(int layers, int kvDim, int numPages, int pageSize) {
    this(layers, kvDim, numPages, pageSize, KvCacheDtype.DEFAULT);
  }

  public static long bytesPerPage(int layers, int kvDim, int pageSize, KvCacheDtype dtype) {
    return 2L * layers * pageSize * kvDim * dtype.bytes();
  }

  public KvCacheDtype dtype() {
    return dtype;
  }

  /** Byte offset of position {@code slot} (= page * pageSize + offset) in a layer segment. */
  long offset(int page, int inPage) {
    return ((long) page * pageSize + inPage) * kvDim * elemBytes;
  }

  void write(int layer, int page, int inPage, float[] k, int kOff, float[] v, int vOff) {
    long at = offset(page, inPage);
    if (dtype == KvCacheDtype.F32) {
      MemorySegment.copy(k, kOff, keys[layer], FLOAT, at, kvDim);
      MemorySegment.copy(v, vOff, values[layer], FLOAT, at, kvDim);
      return;
    }
    MemorySegment ks = keys[layer], vs = values[layer];
    for (int i = 0; i < kvDim; i++) {
      ks.set(HALF, at + 2L * i, Float.floatToFloat16(k[kOff + i]));
      vs.set(HALF, at + 2L * i, Float.floatToFloat16(v[vOff + i]));
    }
  }

  /** The stored value of element i of a K (or V) row starting at byte {@code at}, widened to float. */
  float get(MemorySegment s, long at, int i) {
    return dtype == KvCacheDtype.F32
        ? s.get(FLOAT, at + 4L * i)
        : Float.float16ToFloat(s.get(HALF, at + 2L * i));
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
    long len = (long) pageSize * kvDim * elemBytes;
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
