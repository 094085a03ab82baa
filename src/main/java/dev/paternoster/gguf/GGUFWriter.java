package dev.paternoster.gguf;

import dev.paternoster.tensor.GGMLType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF v3 files: metadata, then the tensor table, then each tensor's bytes, aligned.
 * Tensor data is streamed from a {@link TensorSource} so multi-gigabyte files never sit in memory.
 */
public final class GGUFWriter {
  /** Produces a tensor's bytes, in order, into {@code out}. */
  @FunctionalInterface
  public interface TensorSource {
    void write(OutputStream out) throws IOException;

    /**
     * A tensor of zero bytes left as a hole in the file (sparse where the file system allows):
     * multi-gigabyte test files without writing gigabytes.
     */
    TensorSource ZEROS = out -> {
      throw new IllegalStateException("ZEROS is handled by the writer");
    };
  }

  private record Entry(String name, GGMLType type, long[] shape, TensorSource source) {}

  private final Map<String, Object> metadata = new LinkedHashMap<>();
  private final List<Entry> tensors = new ArrayList<>();
  private final int alignment = GGUFFile.DEFAULT_ALIGNMENT;

  /**
   * An unsigned 32-bit metadata value. llama.cpp reads counts and token ids ({@code
   * general.file_type}, {@code *.context_length}, {@code tokenizer.ggml.bos_token_id}, ...) as
   * uint32 and refuses a file whose key has another integer type.
   */
  public record UInt32(int value) {
    public UInt32 {
      if (value < 0) throw new IllegalArgumentException("uint32 value must not be negative, got " + value);
    }
  }

  /**
   * Adds a metadata value: String, Integer (int32), {@link UInt32}, Long (uint64), Float, Double,
   * Boolean, String[], int[] (int32 array), float[] (float32 array).
   */
  public GGUFWriter put(String key, Object value) {
    metadata.put(key, value);
    return this;
  }

  /** Adds a tensor; {@code shape} in ggml order (row length first). */
  public GGUFWriter tensor(String name, GGMLType type, long[] shape, TensorSource source) {
    tensors.add(new Entry(name, type, shape, source));
    return this;
  }

  public void write(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
        CountingStream out = new CountingStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 20))) {
      out.i32(GGUFFile.MAGIC);
      out.i32(3);
      out.i64(tensors.size());
      out.i64(metadata.size());
      for (var e : metadata.entrySet()) {
        out.string(e.getKey());
        writeValue(out, e.getKey(), e.getValue());
      }
      long offset = 0;
      for (Entry t : tensors) {
        out.string(t.name);
        out.i32(t.shape.length);
        for (long d : t.shape) out.i64(d);
        out.i32(t.type.id);
        out.i64(offset);
        offset = GGUFFile.alignUp(offset + bytes(t), alignment);
      }
      out.pad(alignment);
      for (Entry t : tensors) {
        long start = out.count;
        if (t.source == TensorSource.ZEROS) {
          out.flush();
          channel.position(channel.position() + bytes(t));
          out.count += bytes(t);
        } else {
          t.source.write(out);
        }
        long written = out.count - start;
        if (written != bytes(t)) {
          throw new IOException("tensor " + t.name + " wrote " + written + " bytes, expected " + bytes(t));
        }
        out.pad(alignment);
      }
      out.flush();
      if (channel.size() < out.count) { // the file ends in a hole: give it its length
        channel.write(ByteBuffer.allocate(1), out.count - 1);
      }
    }
  }

  private static long bytes(Entry t) {
    long n = 1;
    for (long d : t.shape) n *= d;
    return t.type.bytesFor(n);
  }

  private static void writeValue(CountingStream out, String key, Object v) throws IOException {
    switch (v) {
      case String s -> { out.i32(8); out.string(s); }
      case Integer i -> { out.i32(5); out.i32(i); }
      case UInt32 u -> { out.i32(4); out.i32(u.value()); }
      case Long l -> { out.i32(10); out.i64(l); }
      case Float f -> { out.i32(6); out.i32(Float.floatToRawIntBits(f)); }
      case Double d -> { out.i32(12); out.i64(Double.doubleToRawLongBits(d)); }
      case Boolean b -> { out.i32(7); out.write(b ? 1 : 0); }
      case String[] a -> {
        out.i32(9); out.i32(8); out.i64(a.length);
        for (String s : a) out.string(s);
      }
      case int[] a -> {
        out.i32(9); out.i32(5); out.i64(a.length);
        for (int x : a) out.i32(x);
      }
      case float[] a -> {
        out.i32(9); out.i32(6); out.i64(a.length);
        for (float x : a) out.i32(Float.floatToRawIntBits(x));
      }
      default -> throw new IllegalArgumentException("metadata '" + key + "': unsupported value type " + v.getClass());
    }
  }

  /** Little-endian writer that knows its position (for alignment). */
  private static final class CountingStream extends OutputStream {
    private final OutputStream out;
    private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    long count;

    CountingStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }

    void i32(int v) throws IOException {
      scratch.clear();
      scratch.putInt(v);
      write(scratch.array(), 0, 4);
    }

    void i64(long v) throws IOException {
      scratch.clear();
      scratch.putLong(v);
      write(scratch.array(), 0, 8);
    }

    void string(String s) throws IOException {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      i64(b.length);
      write(b, 0, b.length);
    }

    void pad(int alignment) throws IOException {
      while (count % alignment != 0) write(0);
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}
