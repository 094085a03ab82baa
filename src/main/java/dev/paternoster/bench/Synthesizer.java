package dev.paternoster.bench;

import dev.paternoster.gguf.GGUFWriter;
import dev.paternoster.tensor.GGMLType;
import dev.paternoster.tensor.Quantize;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a random-weight GGUF model at a real model's shape, loadable by Paternoster and by
 * llama.cpp: for benchmarks and tests at realistic size without downloading weights.
 *
 * <p>Every 2-D weight is stored in the requested type (K-quant types need rows that are multiples
 * of 256; other rows fall back to Q8_0, as llama.cpp's quantizer also falls back); norms are F32.
 * The vocabulary is SentencePiece-style: {@code <unk> <s> </s>}, 256 byte tokens, then letter
 * pieces, so any text can be tokenized.
 */
public final class Synthesizer {
  private final ModelShape shape;
  private final GGMLType type;
  private final long seed;
  private final PrintStream progress;

  public Synthesizer(ModelShape shape, GGMLType type, long seed, PrintStream progress) {
    if (!type.supported) throw new IllegalArgumentException("type " + type + " is not supported");
    this.shape = shape;
    this.type = type;
    this.seed = seed;
    this.progress = progress;
  }

  public void write(Path out) throws IOException {
    ModelShape s = shape;
    String a = s.architecture();
    GGUFWriter w = new GGUFWriter();
    w.put("general.architecture", a);
    w.put("general.name", "paternoster-synth-" + s.name() + "-" + type.name().toLowerCase());
    w.put("general.file_type", fileType(type));
    w.put(a + ".context_length", s.contextLength());
    w.put(a + ".embedding_length", s.dim());
    w.put(a + ".block_count", s.layers());
    w.put(a + ".feed_forward_length", s.ffnDim());
    w.put(a + ".attention.head_count", s.heads());
    w.put(a + ".attention.head_count_kv", s.kvHeads());
    w.put(a + ".attention.key_length", s.headDim());
    w.put(a + ".attention.value_length", s.headDim());
    w.put(a + ".attention.layer_norm_rms_epsilon", s.normEps());
    w.put(a + ".rope.freq_base", s.ropeTheta());
    w.put(a + ".rope.dimension_count", s.headDim());
    w.put(a + ".vocab_size", s.vocabSize());
    addVocabulary(w, s.vocabSize());

    List<String> names = new ArrayList<>();
    long[] counter = {0};
    addMatrix(w, names, "token_embd.weight", s.vocabSize(), s.dim());
    addVector(w, names, "output_norm.weight", s.dim(), 1f);
    if (!s.tiedEmbeddings()) addMatrix(w, names, "output.weight", s.vocabSize(), s.dim());
    if (s.llama3RopeScaling()) {
      float[] f = llama3FreqFactors(s.headDim(), s.ropeTheta());
      w.tensor("rope_freqs.weight", GGMLType.F32, new long[] {f.length}, o -> writeF32(o, f));
    }
    int q = s.heads() * s.headDim(), kv = s.kvHeads() * s.headDim();
    for (int l = 0; l < s.layers(); l++) {
      String p = "blk." + l + ".";
      addVector(w, names, p + "attn_norm.weight", s.dim(), 1f);
      addMatrix(w, names, p + "attn_q.weight", q, s.dim());
      addMatrix(w, names, p + "attn_k.weight", kv, s.dim());
      addMatrix(w, names, p + "attn_v.weight", kv, s.dim());
      if (s.qkvBias()) {
        addVector(w, names, p + "attn_q.bias", q, 0f);
        addVector(w, names, p + "attn_k.bias", kv, 0f);
        addVector(w, names, p + "attn_v.bias", kv, 0f);
      }
      if (s.qkNorm()) {
        addVector(w, names, p + "attn_q_norm.weight", s.headDim(), 1f);
        addVector(w, names, p + "attn_k_norm.weight", s.headDim(), 1f);
      }
      addMatrix(w, names, p + "attn_output.weight", s.dim(), q);
      addVector(w, names, p + "ffn_norm.weight", s.dim(), 1f);
      addMatrix(w, names, p + "ffn_gate.weight", s.ffnDim(), s.dim());
      addMatrix(w, names, p + "ffn_up.weight", s.ffnDim(), s.dim());
      addMatrix(w, names, p + "ffn_down.weight", s.dim(), s.ffnDim());
    }
    w.write(out);
  }

  /** The type a matrix with rows of {@code cols} values gets. */
  GGMLType typeFor(int cols) {
    return cols % type.blockSize == 0 ? type : GGMLType.Q8_0;
  }

  private void addMatrix(GGUFWriter w, List<String> names, String name, int rows, int cols) {
    GGMLType t = typeFor(cols);
    long tensorSeed = seed * 31 + name.hashCode();
    int index = names.size();
    names.add(name);
    float scale = (float) (1.0 / Math.sqrt(cols));
    w.tensor(name, t, new long[] {cols, rows}, out -> {
      if (progress != null) progress.printf("\rsynth: tensor %d  %-32s", index + 1, name);
      SplittableRandom rnd = new SplittableRandom(tensorSeed);
      float[] row = new float[cols];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) row[c] = (float) ((rnd.nextDouble() * 2 - 1) * scale * 1.7);
        out.write(Quantize.toBytes(t, row));
      }
    });
  }

  private void addVector(GGUFWriter w, List<String> names, String name, int n, float base) {
    long tensorSeed = seed * 17 + name.hashCode();
    names.add(name);
    w.tensor(name, GGMLType.F32, new long[] {n}, out -> {
      SplittableRandom rnd = new SplittableRandom(tensorSeed);
      float[] v = new float[n];
      for (int i = 0; i < n; i++) v[i] = base + (float) ((rnd.nextDouble() - 0.5) * 0.1);
      writeF32(out, v);
    });
  }

  private static void writeF32(OutputStream out, float[] v) throws IOException {
    byte[] b = new byte[v.length * 4];
    for (int i = 0; i < v.length; i++) {
      int bits = Float.floatToRawIntBits(v[i]);
      b[4 * i] = (byte) bits;
      b[4 * i + 1] = (byte) (bits >>> 8);
      b[4 * i + 2] = (byte) (bits >>> 16);
      b[4 * i + 3] = (byte) (bits >>> 24);
    }
    out.write(b);
  }

  /** Llama 3.1-style frequency factors (factor 32, low 1, high 4, original context 8192). */
  static float[] llama3FreqFactors(int headDim, float theta) {
    double factor = 32, low = 1, high = 4, original = 8192;
    double lowWavelen = original / low, highWavelen = original / high;
    float[] out = new float[headDim / 2];
    for (int i = 0; i < out.length; i++) {
      double freq = Math.pow(theta, -2.0 * i / headDim);
      double wavelen = 2 * Math.PI / freq;
      if (wavelen < highWavelen) out[i] = 1f;
      else if (wavelen > lowWavelen) out[i] = (float) factor;
      else {
        double smooth = (original / wavelen - low) / (high - low);
        out[i] = (float) (1.0 / ((1 - smooth) / factor + smooth));
      }
    }
    return out;
  }

  /** SentencePiece-style vocabulary: specials, 256 byte tokens, then letter pieces. */
  static void addVocabulary(GGUFWriter w, int size) {
    String[] tokens = new String[size];
    float[] scores = new float[size];
    int[] types = new int[size];
    tokens[0] = "<unk>"; types[0] = 2;
    tokens[1] = "<s>"; types[1] = 3;
    tokens[2] = "</s>"; types[2] = 3;
    for (int b = 0; b < 256; b++) {
      tokens[3 + b] = String.format("<0x%02X>", b);
      types[3 + b] = 6;
    }
    int id = 259;
    String letters = "etaoinshrdlcumwfgypbvkjxqz";
    // pieces of growing length, with and without the word-start marker
    outer:
    for (int len = 1; ; len++) {
      int combos = (int) Math.min(Integer.MAX_VALUE, Math.pow(letters.length(), len));
      for (int c = 0; c < combos; c++) {
        StringBuilder sb = new StringBuilder();
        int x = c;
        for (int k = 0; k < len; k++) {
          sb.append(letters.charAt(x % letters.length()));
          x /= letters.length();
        }
        for (String piece : new String[] {"\u2581" + sb, sb.toString()}) {
          if (id >= size) break outer;
          tokens[id] = piece;
          scores[id] = -id;
          types[id] = 1;
          id++;
        }
      }
    }
    w.put("tokenizer.ggml.model", "llama");
    w.put("tokenizer.ggml.tokens", tokens);
    w.put("tokenizer.ggml.scores", scores);
    w.put("tokenizer.ggml.token_type", types);
    w.put("tokenizer.ggml.bos_token_id", 1);
    w.put("tokenizer.ggml.eos_token_id", 2);
    w.put("tokenizer.ggml.unknown_token_id", 0);
    w.put("tokenizer.ggml.add_bos_token", true);
    w.put("tokenizer.ggml.add_eos_token", false);
  }

  /** llama.cpp's {@code llama_ftype} number for a file mostly of {@code t}. */
  static int fileType(GGMLType t) {
    return switch (t) {
      case F32 -> 0;
      case F16 -> 1;
      case Q4_0 -> 2;
      case Q8_0 -> 7;
      case Q4_K -> 15;
      case Q5_K -> 17;
      case Q6_K -> 18;
      case BF16 -> 32;
      default -> throw new IllegalArgumentException(t.name());
    };
  }
}
