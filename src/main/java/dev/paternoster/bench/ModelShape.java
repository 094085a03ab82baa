package dev.paternoster.bench;

import java.util.List;
import java.util.Locale;

/** The shape of a real model, for writing random-weight GGUF files of realistic size. */
public record ModelShape(
    String name,
    String architecture,
    int dim,
    int layers,
    int heads,
    int kvHeads,
    int headDim,
    int ffnDim,
    int vocabSize,
    int contextLength,
    float ropeTheta,
    float normEps,
    boolean tiedEmbeddings,
    boolean qkvBias,
    boolean qkNorm,
    boolean llama3RopeScaling) {

  public static final List<ModelShape> KNOWN = List.of(
      new ModelShape("tiny15m", "llama", 288, 6, 6, 6, 48, 768, 32000, 256, 10000f, 1e-5f, true, false, false, false),
      new ModelShape("llama110m", "llama", 768, 12, 12, 12, 64, 2048, 32000, 1024, 10000f, 1e-5f, true, false, false, false),
      new ModelShape("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 64, 4864, 151936, 32768, 1000000f, 1e-6f, true, true, false, false),
      new ModelShape("qwen3-0.6b", "qwen3", 1024, 28, 16, 8, 128, 3072, 151936, 40960, 1000000f, 1e-6f, true, false, true, false),
      new ModelShape("llama3.2-1b", "llama", 2048, 16, 32, 8, 64, 8192, 128256, 131072, 500000f, 1e-5f, true, false, false, true));

  public static ModelShape byName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return KNOWN.stream().filter(s -> s.name.equals(n)).findFirst().orElseThrow(() ->
        new IllegalArgumentException("unknown shape '" + name + "' (known: "
            + String.join(", ", KNOWN.stream().map(ModelShape::name).toList()) + ")"));
  }

  /** Parameters in the weight matrices and embeddings. */
  public long parameters() {
    long attn = (long) dim * heads * headDim * 2 + (long) dim * kvHeads * headDim * 2;
    long ffn = 3L * dim * ffnDim;
    long emb = (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2);
    return layers * (attn + ffn) + emb;
  }
}
