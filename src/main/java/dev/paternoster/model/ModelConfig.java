package dev.paternoster.model;

/**
 * The shape and numerics of a Llama-family model, all read from GGUF metadata.
 *
 * @param architecture {@code llama}, {@code qwen2} or {@code qwen3}
 * @param ropeNeox true for NeoX-style RoPE (rotate halves: qwen2/qwen3), false for interleaved pairs (llama)
 * @param ropeScaling {@code none}, {@code linear} or {@code llama3}
 */
public record ModelConfig(
    String architecture,
    String name,
    int dim,
    int layers,
    int heads,
    int kvHeads,
    int headDim,
    int ffnDim,
    int vocabSize,
    int contextLength,
    float normEps,
    float ropeTheta,
    boolean ropeNeox,
    String ropeScaling,
    float ropeScaleFactor,
    float ropeLowFreqFactor,
    float ropeHighFreqFactor,
    int ropeOriginalContext,
    boolean tiedEmbeddings,
    boolean qkvBias,
    boolean qkNorm) {

  public int kvDim() {
    return kvHeads * headDim;
  }

  public int qDim() {
    return heads * headDim;
  }
}
