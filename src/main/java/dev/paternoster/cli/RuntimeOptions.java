package dev.paternoster.cli;

import dev.paternoster.model.KvCacheDtype;
import dev.paternoster.model.Numerics;
import dev.paternoster.tensor.Parallel;
import picocli.CommandLine.Option;

/**
 * How the model runtime computes: threads, matmul arithmetic and KV cache element type. A picocli
 * mixin shared by every command that loads a model (generate directly, serve and bench through
 * {@link EngineOptions}).
 */
final class RuntimeOptions {
  @Option(names = "--kv-cache-dtype", defaultValue = "f16", paramLabel = "TYPE",
      description = "KV cache element type: f16 (default: llama.cpp's default KV cache, its flash-attention arithmetic bit for bit, half the memory of f32) or f32.")
  String kvCacheDtype;

  @Option(names = "--numerics", defaultValue = "llamacpp", paramLabel = "MODE",
      description = "Arithmetic of the quantized matmuls and of attention: llamacpp (default: llama.cpp's x86 results bit for bit) or fast (same activation rounding, Paternoster's own float order, attention in F32: faster, within rounding of llama.cpp).")
  String numerics;

  @Option(names = "--threads", description = "Compute threads for the model (default: all cores).")
  Integer threads;

  KvCacheDtype kvCacheDtype() {
    return KvCacheDtype.parse(kvCacheDtype);
  }

  Numerics numerics() {
    return Numerics.parse(numerics);
  }

  /** The pool the model computes on: the shared one, or a new one of {@code --threads} threads. */
  Parallel pool() {
    return threads != null ? new Parallel(threads) : Parallel.shared();
  }

  /** Threads the model computes with. */
  int threadCount() {
    return threads != null ? threads : Parallel.shared().threads();
  }
}
