package dev.paternoster.tensor;

import dev.paternoster.gguf.GGUFFile;
import dev.paternoster.gguf.TensorInfo;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A weight matrix in GGUF layout: {@code rows} rows of {@code cols} contiguous elements, each row
 * encoded in {@code type}'s blocks. Row {@code r} starts at byte {@code r * type.bytesFor(cols)}.
 *
 * <p>{@code cols} is ggml's {@code shape[0]} (the contiguous dimension); a matrix that multiplies
 * an activation vector of length {@code cols} produces {@code rows} outputs.
 */
public record Weight(String name, GGMLType type, int rows, int cols, MemorySegment data) {

  public Weight {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(data, "data");
    if (rows <= 0 || cols <= 0) {
      throw new IllegalArgumentException(name + ": rows and cols must be positive, got " + rows + " x " + cols);
    }
    long need = Math.multiplyExact((long) rows, type.bytesFor(cols));
    if (data.byteSize() < need) {
      throw new IllegalArgumentException(name + ": " + rows + " x " + cols + " " + type + " needs " + need
          + " bytes but the segment has " + data.byteSize());
    }
  }

  /**
   * The tensor {@code tensorName} of {@code f} as a matrix (no copy: the data stays in the
   * mapping). Tensors of more than two dimensions are flattened to {@code product(shape[1..])}
   * rows; 1-D tensors become one row.
   */
  public static Weight of(GGUFFile f, String tensorName) {
    TensorInfo t = f.tensor(tensorName);
    long cols = t.rowLength();
    long rows = t.rows();
    if (cols > Integer.MAX_VALUE || rows > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(tensorName + ": shape too large for a matrix: " + t);
    }
    return new Weight(tensorName, t.type(), (int) rows, (int) cols, f.data(t));
  }

  /** Bytes of one encoded row. */
  public long rowBytes() {
    return type.bytesFor(cols);
  }

  /** Byte offset of row {@code r} in {@link #data}. */
  public long rowOffset(int r) {
    return r * rowBytes();
  }

  /** Row {@code r} decoded to floats (allocates: for tests, tools and embedding look-ups). */
  public float[] dequantizeRow(int r) {
    float[] out = new float[cols];
    dequantizeRow(r, out, 0);
    return out;
  }

  /** Decodes row {@code r} into {@code dst[dstOff .. dstOff + cols)}. */
  public void dequantizeRow(int r, float[] dst, int dstOff) {
    Objects.checkIndex(r, rows);
    Dequant.row(type, data, rowOffset(r), dst, dstOff, cols);
  }
}
