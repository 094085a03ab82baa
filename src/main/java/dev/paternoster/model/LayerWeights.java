package dev.paternoster.model;

import dev.paternoster.tensor.Weight;

/** The weights of one transformer block. Biases and Q/K norms are null when the architecture has none. */
record LayerWeights(
    float[] attnNorm,
    Weight wq,
    Weight wk,
    Weight wv,
    float[] bq,
    float[] bk,
    float[] bv,
    float[] qNorm,
    float[] kNorm,
    Weight wo,
    float[] ffnNorm,
    Weight gate,
    Weight up,
    Weight down) {

  /** The block's seven matrices. */
  Weight[] matrices() {
    return new Weight[] {wq, wk, wv, wo, gate, up, down};
  }
}
