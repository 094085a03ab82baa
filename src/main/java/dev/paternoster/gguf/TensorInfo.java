package dev.paternoster.gguf;

import dev.paternoster.tensor.GGMLType;
import java.util.Arrays;

/**
 * One entry of a GGUF tensor table.
 *
 * @param shape ggml order: {@code shape[0]} is the innermost (contiguous) dimension, so a weight
 *     matrix of {@code rows x cols} has {@code shape = {cols, rows}}
 * @param offset byte offset relative to the start of the tensor data section
 */
public record TensorInfo(String name, GGMLType type, long[] shape, long offset) {

  public long elements() {
    long n = 1;
    for (long d : shape) n = Math.multiplyExact(n, d);
    return n;
  }

  public long byteSize() {
    return type.bytesFor(elements());
  }

  /** Length of one row (the contiguous dimension). */
  public long rowLength() {
    return shape[0];
  }

  /** Number of rows: the product of all dimensions but the first. */
  public long rows() {
    return elements() / shape[0];
  }

  @Override
  public String toString() {
    return name + " " + type + " " + Arrays.toString(shape) + " @" + offset;
  }
}
