package dev.paternoster.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.model.LlamaModel;
import dev.paternoster.tensor.GGMLType;
import dev.paternoster.tensor.Parallel;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SynthesizerTest {
  private static final int UINT32 = 4, INT32 = 5, STRING = 8, ARRAY = 9;

  @Test
  void countsAndTokenIdsAreUint32AsLlamaCppRequires(@TempDir Path dir) throws Exception {
    ModelShape tiny = new ModelShape("t", "llama", 32, 1, 2, 2, 16, 64, 320, 64, 10000f, 1e-5f, true, false, false, false);
    Path file = dir.resolve("t.gguf");
    new Synthesizer(tiny, GGMLType.Q8_0, 1, null).write(file);
    Map<String, Integer> types = keyTypes(file);
    for (String key : new String[] {"general.file_type", "llama.context_length", "llama.embedding_length",
        "llama.block_count", "llama.feed_forward_length", "llama.attention.head_count",
        "llama.attention.head_count_kv", "llama.rope.dimension_count", "llama.vocab_size",
        "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id"}) {
      assertThat(types).as(key).containsEntry(key, UINT32);
    }
    try (LlamaModel m = LlamaModel.load(file, 16, new Parallel(1))) {
      assertThat(m.config().vocabSize()).isEqualTo(320);
      assertThat(m.config().contextLength()).isEqualTo(64);
    }
  }

  /** Metadata key to GGUF value type code, read straight from the header. */
  static Map<String, Integer> keyTypes(Path file) throws IOException {
    try (InputStream raw = Files.newInputStream(file); DataInputStream in = new DataInputStream(raw)) {
      LittleEndian le = new LittleEndian(in);
      le.i32(); // magic
      le.i32(); // version
      le.i64(); // tensors
      long kvs = le.i64();
      Map<String, Integer> types = new LinkedHashMap<>();
      for (long i = 0; i < kvs; i++) {
        String key = le.string();
        int type = le.i32();
        types.put(key, type);
        le.skipValue(type);
      }
      return types;
    }
  }

  private record LittleEndian(DataInputStream in) {
    int i32() throws IOException {
      return ByteBuffer.wrap(in.readNBytes(4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    long i64() throws IOException {
      return ByteBuffer.wrap(in.readNBytes(8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    String string() throws IOException {
      return new String(in.readNBytes((int) i64()), StandardCharsets.UTF_8);
    }

    void skipValue(int type) throws IOException {
      switch (type) {
        case STRING -> string();
        case ARRAY -> {
          int element = i32();
          long n = i64();
          for (long k = 0; k < n; k++) skipValue(element);
        }
        case 0, 1, 7 -> in.skipNBytes(1);
        case 2, 3 -> in.skipNBytes(2);
        case UINT32, INT32, 6 -> in.skipNBytes(4);
        default -> in.skipNBytes(8);
      }
    }
  }
}
