package dev.paternoster.model;

import dev.paternoster.gguf.GGUFException;
import dev.paternoster.gguf.GGUFFile;
import java.util.Set;

/** Reads a {@link ModelConfig} from GGUF metadata; refuses unsupported architectures by name. */
public final class ModelConfigReader {
  /** Architectures whose forward pass Paternoster implements. */
  public static final Set<String> SUPPORTED = Set.of("llama", "qwen2", "qwen3");

  private ModelConfigReader() {}

  public static ModelConfig read(GGUFFile f) {
    String arch = f.getString("general.architecture", null);
    if (arch == null) throw new GGUFException(f.path() + ": metadata 'general.architecture' is missing");
    if (!SUPPORTED.contains(arch)) {
      throw new GGUFException(f.path() + ": unsupported architecture '" + arch + "' (supported: "
          + String.join(", ", SUPPORTED.stream().sorted().toList()) + ")");
    }
    String p = arch + ".";
    int dim = f.getInt(p + "embedding_length");
    int layers = f.getInt(p + "block_count");
    int heads = f.getInt(p + "attention.head_count");
    int kvHeads = f.getInt(p + "attention.head_count_kv", heads);
    int headDim = f.getInt(p + "attention.key_length", dim / heads);
    int ffn = f.getInt(p + "feed_forward_length");
    int ctx = f.getInt(p + "context_length", 2048);
    float eps = f.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
    // llama.cpp's default when the file has no freq_base (e.g. stories260K)
    float theta = f.getFloat(p + "rope.freq_base", 10000f);
    String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
    int vocab = f.getInt(p + "vocab_size", tokens != null ? tokens.length : -1);
    if (vocab <= 0) throw new GGUFException(f.path() + ": cannot tell the vocabulary size");
    if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
      throw new GGUFException(f.path() + ": head counts " + heads + "/" + kvHeads + " are not a valid GQA layout");
    }
    int ropeDim = f.getInt(p + "rope.dimension_count", headDim);
    if (ropeDim != headDim) {
      throw new GGUFException(f.path() + ": partial rotary embeddings (rope.dimension_count " + ropeDim
          + " < head size " + headDim + ") are not supported");
    }
    String scaling = f.getString(p + "rope.scaling.type", "none");
    float factor = f.getFloat(p + "rope.scaling.factor", 1f);
    if (f.hasTensor("rope_freqs.weight")) scaling = "llama3";
    if (!Set.of("none", "linear", "llama3").contains(scaling)) {
      throw new GGUFException(f.path() + ": unsupported rope scaling '" + scaling + "'");
    }
    boolean neox = !arch.equals("llama");
    boolean tied = !f.hasTensor("output.weight");
    boolean bias = f.hasTensor("blk.0.attn_q.bias");
    boolean qkNorm = f.hasTensor("blk.0.attn_q_norm.weight");
    return new ModelConfig(arch, f.getString("general.name", arch), dim, layers, heads, kvHeads, headDim, ffn,
        vocab, ctx, eps, theta, neox, scaling, factor,
        f.getFloat(p + "rope.scaling.low_freq_factor", 1f),
        f.getFloat(p + "rope.scaling.high_freq_factor", 4f),
        f.getInt(p + "rope.scaling.original_context_length", ctx), tied, bias, qkNorm);
  }
}
