package dev.paternoster.gguf;

import dev.paternoster.tensor.GGMLType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file mapped into memory. Metadata is parsed eagerly; tensor data stays in the mapping
 * (off-heap, never copied), so files larger than 2 GB work and loading is instant.
 *
 * <p>Reads GGUF v2 and v3, and the older v1 layout (32-bit counts and lengths) that llama.cpp no
 * longer reads. Every length, count and offset is checked against the file size before use, so a
 * truncated or corrupt file ends in a {@link GGUFException} naming the problem.
 */
public final class GGUFFile implements AutoCloseable {
  public static final int MAGIC = 0x46554747; // "GGUF" little-endian
  public static final int DEFAULT_ALIGNMENT = 32;
  private static final int MAX_DIMS = 4;

  private final Path path;
  private final Arena arena;
  private final MemorySegment file;
  private final int version;
  private final Map<String, Object> metadata;
  private final Map<String, TensorInfo> tensors;
  private final long dataOffset;

  private GGUFFile(
      Path path, Arena arena, MemorySegment file, int version, Map<String, Object> metadata,
      Map<String, TensorInfo> tensors, long dataOffset) {
    this.path = path;
    this.arena = arena;
    this.file = file;
    this.version = version;
    this.metadata = metadata;
    this.tensors = tensors;
    this.dataOffset = dataOffset;
  }

  /** Maps and parses {@code path}. */
  public static GGUFFile open(Path path) {
    Arena arena = Arena.ofShared();
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      GGUFFile f = parse(path, arena, seg);
      return f;
    } catch (NoSuchFileException e) {
      arena.close();
      throw new GGUFException("model file not found: " + path);
    } catch (IOException e) {
      arena.close();
      throw new GGUFException("cannot read " + path + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  private static GGUFFile parse(Path path, Arena arena, MemorySegment seg) {
    Reader r = new Reader(seg, path);
    if (seg.byteSize() < 8) throw r.error("file is too small to be GGUF (" + seg.byteSize() + " bytes)");
    int magic = r.i32();
    if (magic != MAGIC) {
      throw r.error(String.format("not a GGUF file (magic 0x%08x, expected 'GGUF')", magic));
    }
    int version = r.i32();
    if (version < 1 || version > 3) {
      throw r.error("unsupported GGUF version " + Integer.toUnsignedString(version) + " (supported: 1, 2, 3)");
    }
    r.v1 = version == 1;
    long tensorCount = r.count("tensor count");
    long kvCount = r.count("metadata count");

    Map<String, Object> metadata = new LinkedHashMap<>();
    for (long i = 0; i < kvCount; i++) {
      String key = r.string("metadata key #" + i);
      int type = r.i32();
      Object value = r.value(type, key);
      metadata.put(key, value);
    }

    int alignment = DEFAULT_ALIGNMENT;
    Object alignValue = metadata.get("general.alignment");
    if (alignValue instanceof Number n) {
      alignment = n.intValue();
      if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
        throw r.error("general.alignment must be a power of two, got " + alignment);
      }
    }

    List<TensorInfo> infos = new ArrayList<>();
    for (long i = 0; i < tensorCount; i++) {
      String name = r.string("tensor name #" + i);
      int nDims = r.i32();
      if (nDims < 1 || nDims > MAX_DIMS) {
        throw r.error("tensor '" + name + "' has " + nDims + " dimensions (1.." + MAX_DIMS + " allowed)");
      }
      long[] shape = new long[nDims];
      for (int d = 0; d < nDims; d++) {
        shape[d] = r.v1 ? Integer.toUnsignedLong(r.i32()) : r.i64();
        if (shape[d] <= 0) throw r.error("tensor '" + name + "' has dimension " + d + " = " + shape[d]);
      }
      int typeId = r.i32();
      GGMLType type = GGMLType.byId(typeId);
      if (type == null) throw r.error("tensor '" + name + "' has unknown type id " + typeId);
      long offset = r.i64();
      TensorInfo info = new TensorInfo(name, type, shape, offset);
      try {
        info.byteSize();
      } catch (ArithmeticException | IllegalArgumentException e) {
        throw r.error("tensor '" + name + "' has an impossible shape: " + e.getMessage());
      }
      infos.add(info);
    }

    long dataOffset = alignUp(r.pos, alignment);
    long fileSize = seg.byteSize();
    Map<String, TensorInfo> byName = new LinkedHashMap<>();
    for (TensorInfo t : infos) {
      if (t.offset() < 0 || t.offset() % alignment != 0 && !r.v1) {
        throw r.error("tensor '" + t.name() + "' has misaligned or negative offset " + t.offset());
      }
      long end = dataOffset + t.offset() + t.byteSize();
      if (t.offset() > fileSize || end > fileSize || end < 0) {
        throw r.error(String.format(
            "tensor '%s' (%s, %d bytes at data offset %d) extends past the end of the file (%d bytes): truncated or corrupt",
            t.name(), t.type(), t.byteSize(), t.offset(), fileSize));
      }
      if (byName.put(t.name(), t) != null) throw r.error("duplicate tensor name '" + t.name() + "'");
    }
    return new GGUFFile(path, arena, seg, version, Collections.unmodifiableMap(metadata),
        Collections.unmodifiableMap(byName), dataOffset);
  }

  static long alignUp(long x, long a) {
    return (x + a - 1) / a * a;
  }

  public Path path() {
    return path;
  }

  public int version() {
    return version;
  }

  public long dataOffset() {
    return dataOffset;
  }

  public long fileSize() {
    return file.byteSize();
  }

  /** Metadata in file order. Arrays are typed Java arrays ({@code String[]}, {@code int[]}, {@code float[]}...). */
  public Map<String, Object> metadata() {
    return metadata;
  }

  public boolean has(String key) {
    return metadata.containsKey(key);
  }

  public Object get(String key) {
    return metadata.get(key);
  }

  public String getString(String key) {
    Object v = require(key);
    if (v instanceof String s) return s;
    throw wrongType(key, "a string", v);
  }

  public String getString(String key, String fallback) {
    Object v = metadata.get(key);
    return v instanceof String s ? s : fallback;
  }

  public long getLong(String key) {
    Object v = require(key);
    if (v instanceof Number n) return n.longValue();
    throw wrongType(key, "an integer", v);
  }

  public int getInt(String key) {
    long v = getLong(key);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new GGUFException(path + ": metadata '" + key + "' = " + v + " is out of range");
    }
    return (int) v;
  }

  public int getInt(String key, int fallback) {
    return metadata.get(key) instanceof Number ? getInt(key) : fallback;
  }

  public float getFloat(String key, float fallback) {
    Object v = metadata.get(key);
    return v instanceof Number n ? n.floatValue() : fallback;
  }

  public boolean getBool(String key, boolean fallback) {
    Object v = metadata.get(key);
    if (v instanceof Boolean b) return b;
    if (v instanceof Number n) return n.longValue() != 0;
    return fallback;
  }

  public String[] getStringArray(String key) {
    Object v = metadata.get(key);
    if (v == null) return null;
    if (v instanceof String[] a) return a;
    throw wrongType(key, "an array of strings", v);
  }

  public float[] getFloatArray(String key) {
    Object v = metadata.get(key);
    if (v == null) return null;
    if (v instanceof float[] a) return a;
    if (v instanceof double[] d) {
      float[] a = new float[d.length];
      for (int i = 0; i < d.length; i++) a[i] = (float) d[i];
      return a;
    }
    throw wrongType(key, "an array of floats", v);
  }

  public int[] getIntArray(String key) {
    Object v = metadata.get(key);
    if (v == null) return null;
    if (v instanceof int[] a) return a;
    if (v instanceof long[] l) {
      int[] a = new int[l.length];
      for (int i = 0; i < l.length; i++) a[i] = Math.toIntExact(l[i]);
      return a;
    }
    if (v instanceof byte[] b) {
      int[] a = new int[b.length];
      for (int i = 0; i < b.length; i++) a[i] = b[i];
      return a;
    }
    if (v instanceof short[] s) {
      int[] a = new int[s.length];
      for (int i = 0; i < s.length; i++) a[i] = s[i];
      return a;
    }
    throw wrongType(key, "an array of integers", v);
  }

  private Object require(String key) {
    Object v = metadata.get(key);
    if (v == null) throw new GGUFException(path + ": required metadata '" + key + "' is missing");
    return v;
  }

  private GGUFException wrongType(String key, String expected, Object v) {
    return new GGUFException(path + ": metadata '" + key + "' should be " + expected + " but is "
        + v.getClass().getSimpleName());
  }

  public List<TensorInfo> tensors() {
    return List.copyOf(tensors.values());
  }

  public boolean hasTensor(String name) {
    return tensors.containsKey(name);
  }

  /** The tensor with this name; a clear error when the file lacks it. */
  public TensorInfo tensor(String name) {
    TensorInfo t = tensors.get(name);
    if (t == null) throw new GGUFException(path + ": tensor '" + name + "' is missing");
    return t;
  }

  /** The tensor's bytes, a slice of the mapping (no copy). */
  public MemorySegment data(TensorInfo t) {
    return file.asSlice(dataOffset + t.offset(), t.byteSize());
  }

  @Override
  public void close() {
    arena.close();
  }

  /** Bounds-checked little-endian cursor over the mapping. */
  private static final class Reader {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final MemorySegment seg;
    final Path path;
    long pos;
    boolean v1;

    Reader(MemorySegment seg, Path path) {
      this.seg = seg;
      this.path = path;
    }

    GGUFException error(String msg) {
      return new GGUFException(path + ": " + msg);
    }

    private void need(long n, String what) {
      if (n < 0 || pos + n > seg.byteSize()) {
        throw error("truncated: " + what + " at byte " + pos + " needs " + n
            + " bytes but the file has " + (seg.byteSize() - pos) + " left");
      }
    }

    int i32() {
      need(4, "a 32-bit value");
      int v = seg.get(I32, pos);
      pos += 4;
      return v;
    }

    long i64() {
      need(8, "a 64-bit value");
      long v = seg.get(I64, pos);
      pos += 8;
      return v;
    }

    long count(String what) {
      long n = v1 ? Integer.toUnsignedLong(i32()) : i64();
      // Each entry takes at least 8 bytes: a count larger than the file is corrupt.
      if (n < 0 || n > seg.byteSize()) throw error(what + " " + Long.toUnsignedString(n) + " is impossible for a file of " + seg.byteSize() + " bytes");
      return n;
    }

    String string(String what) {
      long len = v1 ? Integer.toUnsignedLong(i32()) : i64();
      need(len, what + " (string of " + Long.toUnsignedString(len) + " bytes)");
      byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
      pos += len;
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
      } catch (CharacterCodingException e) {
        // Some vocabularies hold byte sequences that are not valid UTF-8; keep them readable.
        return new String(bytes, StandardCharsets.UTF_8);
      }
    }

    Object value(int type, String key) {
      return switch (type) {
        case 0 -> { need(1, key); yield (int) (seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xff); }
        case 1 -> { need(1, key); yield (int) seg.get(ValueLayout.JAVA_BYTE, pos++); }
        case 2 -> { need(2, key); int v = seg.get(I16, pos) & 0xffff; pos += 2; yield v; }
        case 3 -> { need(2, key); int v = seg.get(I16, pos); pos += 2; yield v; }
        case 4 -> Integer.toUnsignedLong(i32());
        case 5 -> i32();
        case 6 -> { need(4, key); float v = seg.get(F32, pos); pos += 4; yield v; }
        case 7 -> { need(1, key); yield seg.get(ValueLayout.JAVA_BYTE, pos++) != 0; }
        case 8 -> string("value of '" + key + "'");
        case 9 -> array(key);
        case 10, 11 -> i64();
        case 12 -> { need(8, key); double v = seg.get(F64, pos); pos += 8; yield v; }
        default -> throw error("metadata '" + key + "' has unknown value type " + type);
      };
    }

    private Object array(String key) {
      int elemType = i32();
      long n = v1 ? Integer.toUnsignedLong(i32()) : i64();
      int minSize = switch (elemType) {
        case 0, 1, 7 -> 1;
        case 2, 3 -> 2;
        case 4, 5, 6 -> 4;
        case 8 -> v1 ? 4 : 8;
        case 10, 11, 12 -> 8;
        case 9 -> 12;
        default -> throw error("metadata '" + key + "' is an array of unknown type " + elemType);
      };
      if (n < 0 || n > (seg.byteSize() - pos) / minSize) {
        throw error("metadata '" + key + "' claims " + Long.toUnsignedString(n)
            + " elements, more than the file can hold: truncated or corrupt");
      }
      int len = (int) n;
      switch (elemType) {
        case 0, 1 -> {
          byte[] a = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
          pos += len;
          if (elemType == 0) {
            int[] u = new int[len];
            for (int i = 0; i < len; i++) u[i] = a[i] & 0xff;
            return u;
          }
          return a;
        }
        case 7 -> {
          boolean[] a = new boolean[len];
          for (int i = 0; i < len; i++) a[i] = seg.get(ValueLayout.JAVA_BYTE, pos + i) != 0;
          pos += len;
          return a;
        }
        case 2, 3 -> {
          int[] a = new int[len];
          for (int i = 0; i < len; i++) {
            short s = seg.get(I16, pos + 2L * i);
            a[i] = elemType == 2 ? s & 0xffff : s;
          }
          pos += 2L * len;
          return a;
        }
        case 4, 5 -> {
          int[] a = new int[len];
          for (int i = 0; i < len; i++) a[i] = seg.get(I32, pos + 4L * i);
          pos += 4L * len;
          return a;
        }
        case 6 -> {
          float[] a = new float[len];
          for (int i = 0; i < len; i++) a[i] = seg.get(F32, pos + 4L * i);
          pos += 4L * len;
          return a;
        }
        case 10, 11 -> {
          long[] a = new long[len];
          for (int i = 0; i < len; i++) a[i] = seg.get(I64, pos + 8L * i);
          pos += 8L * len;
          return a;
        }
        case 12 -> {
          double[] a = new double[len];
          for (int i = 0; i < len; i++) a[i] = seg.get(F64, pos + 8L * i);
          pos += 8L * len;
          return a;
        }
        case 8 -> {
          String[] a = new String[len];
          for (int i = 0; i < len; i++) a[i] = string("element " + i + " of '" + key + "'");
          return a;
        }
        case 9 -> {
          Object[] a = new Object[len];
          for (int i = 0; i < len; i++) a[i] = array(key + "[" + i + "]");
          return a;
        }
        default -> throw new AssertionError();
      }
    }
  }
}
