package dev.paternoster.tokenizer;

import dev.paternoster.gguf.GGUFFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes small vocabulary-only GGUF v3 files, for tokenizer cases no shared file covers. */
final class TinyGGUF {
  private final Map<String, Object> kv = new LinkedHashMap<>();

  TinyGGUF put(String key, Object value) {
    kv.put(key, value);
    return this;
  }

  /** Writes the file into {@code dir} and builds its tokenizer. */
  Tokenizer tokenizer(Path dir) {
    Path file = write(dir.resolve("vocab-" + System.nanoTime() + ".gguf"));
    try (GGUFFile f = GGUFFile.open(file)) {
      return Tokenizers.fromGGUF(f);
    }
  }

  Path write(Path file) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    u32(out, GGUFFile.MAGIC);
    u32(out, 3);
    u64(out, 0);
    u64(out, kv.size());
    for (var e : kv.entrySet()) {
      string(out, e.getKey());
      value(out, e.getValue());
    }
    while (out.size() % GGUFFile.DEFAULT_ALIGNMENT != 0) out.write(0);
    try {
      return Files.write(file, out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void value(ByteArrayOutputStream out, Object v) {
    switch (v) {
      case String s -> { u32(out, 8); string(out, s); }
      case Boolean b -> { u32(out, 7); out.write(b ? 1 : 0); }
      case Integer i -> { u32(out, 5); u32(out, i); }
      case String[] a -> {
        u32(out, 9); u32(out, 8); u64(out, a.length);
        for (String s : a) string(out, s);
      }
      case int[] a -> {
        u32(out, 9); u32(out, 5); u64(out, a.length);
        for (int i : a) u32(out, i);
      }
      case float[] a -> {
        u32(out, 9); u32(out, 6); u64(out, a.length);
        for (float x : a) u32(out, Float.floatToIntBits(x));
      }
      default -> throw new IllegalArgumentException("unsupported value " + v);
    }
  }

  private static void string(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    u64(out, b.length);
    out.writeBytes(b);
  }

  private static void u32(ByteArrayOutputStream out, int v) {
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
  }

  private static void u64(ByteArrayOutputStream out, long v) {
    out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
  }
}
