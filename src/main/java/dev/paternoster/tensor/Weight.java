package dev.paternoster.tensor;

import dev.paternoster.gguf.GGUFFile;
import dev.paternoster.gguf.TensorInfo;
import java.lang.foreign.MemorySegment;

/** A 2-D matrix in GGUF layout: {@code rows} rows of {@code cols} contiguous elements each. */
public record Weight(String name, GGMLType type, int rows, int cols, MemorySegment data) {
  public static Weight of(GGUFFile f, String tensorName) {
    TensorInfo t = f.tensor(tensorName);
    long rows = t.rows();
    if (rows > Integer.MAX_VALUE || t.rowLength() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("tensor " + tensorName + " is too large");
    }
    return new Weight(tensorName, t.type(), (int) rows, (int) t.rowLength(), f.data(t));
  }

  public long rowBytes() {
    return type.bytesFor(cols);
  }

  public float[] dequantizeRow(int r) {
    float[] out = new float[cols];
    Dequant.row(type, data, r * rowBytes(), out, 0, cols);
    return out;
  }
}
