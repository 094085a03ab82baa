package dev.paternoster.model;

import dev.paternoster.gguf.GGUFException;
import dev.paternoster.gguf.GGUFFile;
import dev.paternoster.gguf.TensorInfo;
import dev.paternoster.tensor.Dequant;
import dev.paternoster.tensor.Parallel;
import dev.paternoster.tensor.Weight;
import dev.paternoster.tokenizer.Tokenizer;
import dev.paternoster.tokenizer.Tokenizers;
import java.nio.file.Path;

/**
 * The Llama-family forward pass (llama, qwen2 with QKV biases, qwen3 with Q/K norms) over weights
 * that stay memory-mapped in the GGUF file.
 *
 * <p>One {@link #forward} call runs all the batch's tokens through each weight matrix together;
 * scratch buffers are sized once for {@link #maxBatchTokens()} tokens, so a step allocates nothing
 * per token. Not thread-safe: one engine thread calls {@code forward}.
 */
public final class LlamaModel implements Model {
  private static final System.Logger LOG = System.getLogger(LlamaModel.class.getName());
  private final GGUFFile file;
  private final ModelConfig c;
  private final Tokenizer tokenizer;
  private final Backend backend;
  private final Rope rope;
  private final Weight embedding;
  private final LayerWeights[] layers;
  private final float[] outputNorm;
  private final Weight output;
  private final int maxTokens;

  // scratch, sized for maxTokens
  private final float[] x, xb, q, k, v, att, ffA, ffB, cos, sin, lastHidden;
  private final boolean[] promptRows;
  /** Whether a token's result depends on whether it is a prompt row (see {@link Batch#promptRow}). */
  private final boolean promptRowsMatter;
  /** Per layer, the matrices that read one input (the backend may prepare that input once), and their outputs. */
  private final Weight[][] qkv, gateUp;
  private final float[][] qkvOut, gateUpOut;

  private LlamaModel(GGUFFile file, ModelConfig c, Tokenizer tokenizer, Backend backend, int maxTokens) {
    this.file = file;
    this.c = c;
    this.tokenizer = tokenizer;
    this.backend = backend;
    this.maxTokens = maxTokens;
    this.embedding = Weight.of(file, "token_embd.weight");
    if (embedding.cols() != c.dim() || embedding.rows() < c.vocabSize()) {
      throw new GGUFException(file.path() + ": token_embd.weight has shape " + embedding.rows() + "x"
          + embedding.cols() + ", expected " + c.vocabSize() + "x" + c.dim());
    }
    this.layers = new LayerWeights[c.layers()];
    for (int l = 0; l < c.layers(); l++) layers[l] = loadLayer(l);
    this.outputNorm = vector("output_norm.weight", c.dim());
    this.output = c.tiedEmbeddings() ? embedding : matrix("output.weight", c.vocabSize(), c.dim());
    float[] freqFactors = file.hasTensor("rope_freqs.weight") ? vector("rope_freqs.weight", c.headDim() / 2) : null;
    this.rope = new Rope(c, freqFactors);
    long prepared = backend.prepare(output);
    for (LayerWeights w : layers) {
      for (Weight m : w.matrices()) prepared += backend.prepare(m);
    }
    if (prepared > 0) {
      // the integer kernels' copies of Q8_0/Q4_0 matrices: memory beyond the mapped file
      LOG.log(System.Logger.Level.INFO, "weights: {0} MiB copied for the integer kernels (see docs/NUMERICS.md)", prepared >> 20);
    }

    promptRows = new boolean[maxTokens];
    int n = maxTokens;
    x = new float[n * c.dim()];
    xb = new float[n * Math.max(c.dim(), c.qDim())];
    q = new float[n * c.qDim()];
    k = new float[n * c.kvDim()];
    v = new float[n * c.kvDim()];
    att = new float[n * c.qDim()];
    ffA = new float[n * c.ffnDim()];
    ffB = new float[n * c.ffnDim()];
    cos = new float[n * c.headDim() / 2];
    sin = new float[n * c.headDim() / 2];
    lastHidden = new float[n * c.dim()];
    qkv = new Weight[c.layers()][];
    gateUp = new Weight[c.layers()][];
    for (int l = 0; l < c.layers(); l++) {
      qkv[l] = new Weight[] {layers[l].wq(), layers[l].wk(), layers[l].wv()};
      gateUp[l] = new Weight[] {layers[l].gate(), layers[l].up()};
    }
    qkvOut = new float[][] {q, k, v};
    gateUpOut = new float[][] {ffA, ffB};
    boolean matter = false;
    for (LayerWeights lw : layers) {
      for (Weight w : lw.matrices()) {
        matter |= backend.ordersByPromptRow(w);
      }
    }
    this.promptRowsMatter = matter;
  }

  @Override
  public boolean promptRowsMatter() {
    return promptRowsMatter;
  }

  /**
   * Loads a GGUF model.
   *
   * @param maxBatchTokens the most tokens one forward call will carry
   */
  public static LlamaModel load(Path path, int maxBatchTokens, Parallel pool) {
    return load(path, maxBatchTokens, pool, Numerics.LLAMACPP);
  }

  /**
   * Loads a GGUF model whose Q8_0/Q4_0 matmuls use {@code numerics}.
   *
   * @param maxBatchTokens the most tokens one forward call will carry
   */
  public static LlamaModel load(Path path, int maxBatchTokens, Parallel pool, Numerics numerics) {
    GGUFFile f = GGUFFile.open(path);
    try {
      ModelConfig c = ModelConfigReader.read(f);
      Tokenizer tok = Tokenizers.fromGGUF(f);
      Backend backend = new CpuBackend(pool, c.contextLength() + maxBatchTokens, numerics);
      return new LlamaModel(f, c, tok, backend, maxBatchTokens);
    } catch (GGUFException e) {
      f.close();
      throw e;
    } catch (RuntimeException e) {
      // A corrupt file can break the tokenizer or shape checks in many ways; name the file and the cause.
      f.close();
      throw new GGUFException(path + ": cannot load model (corrupt or unsupported file): " + e.getMessage(), e);
    }
  }

  public static LlamaModel load(Path path) {
    return load(path, 512, Parallel.shared());
  }

  private LayerWeights loadLayer(int l) {
    String p = "blk." + l + ".";
    int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), ffn = c.ffnDim();
    return new LayerWeights(
        vector(p + "attn_norm.weight", dim),
        matrix(p + "attn_q.weight", qDim, dim),
        matrix(p + "attn_k.weight", kvDim, dim),
        matrix(p + "attn_v.weight", kvDim, dim),
        c.qkvBias() ? vector(p + "attn_q.bias", qDim) : null,
        c.qkvBias() ? vector(p + "attn_k.bias", kvDim) : null,
        c.qkvBias() ? vector(p + "attn_v.bias", kvDim) : null,
        c.qkNorm() ? vector(p + "attn_q_norm.weight", c.headDim()) : null,
        c.qkNorm() ? vector(p + "attn_k_norm.weight", c.headDim()) : null,
        matrix(p + "attn_output.weight", dim, qDim),
        vector(p + "ffn_norm.weight", dim),
        matrix(p + "ffn_gate.weight", ffn, dim),
        matrix(p + "ffn_up.weight", ffn, dim),
        matrix(p + "ffn_down.weight", dim, ffn));
  }

  private Weight matrix(String name, int rows, int cols) {
    TensorInfo t = file.tensor(name);
    if (!t.type().supported) {
      throw new GGUFException(file.path() + ": tensor '" + name + "' has type " + t.type()
          + ", which Paternoster does not support (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)");
    }
    Weight w = Weight.of(file, name);
    if (w.rows() != rows || w.cols() != cols) {
      throw new GGUFException(file.path() + ": tensor '" + name + "' is " + w.rows() + "x" + w.cols()
          + ", expected " + rows + "x" + cols);
    }
    return w;
  }

  /** Small 1-D tensors (norms, biases) are dequantized onto the heap once. */
  private float[] vector(String name, int n) {
    TensorInfo t = file.tensor(name);
    if (t.elements() != n) {
      throw new GGUFException(file.path() + ": tensor '" + name + "' has " + t.elements() + " values, expected " + n);
    }
    float[] out = new float[n];
    Dequant.row(t.type(), file.data(t), 0, out, 0, n);
    return out;
  }

  @Override
  public ModelConfig config() {
    return c;
  }

  @Override
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public int maxBatchTokens() {
    return maxTokens;
  }

  @Override
  public long kvBytesPerPage(int pageSize, KvCacheDtype dtype) {
    return PagedKvCache.bytesPerPage(c.layers(), c.kvDim(), pageSize, dtype);
  }

  @Override
  public KvCache newKvCache(int numPages, int pageSize, KvCacheDtype dtype) {
    return new PagedKvCache(c.layers(), c.kvDim(), numPages, pageSize, dtype);
  }

  @Override
  public void forward(Batch batch, KvCache cache, float[] logits) {
    int n = batch.size();
    if (n == 0) return;
    if (n > maxTokens) throw new IllegalArgumentException("batch of " + n + " tokens exceeds maxBatchTokens " + maxTokens);
    if (!(cache instanceof PagedKvCache kv)) throw new IllegalArgumentException("KV cache was not made by this model");
    int nOut = batch.logitRows().length;
    if (logits.length < (long) nOut * c.vocabSize()) {
      throw new IllegalArgumentException("logits buffer holds " + logits.length + " floats, needs " + (long) nOut * c.vocabSize());
    }
    int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), ffn = c.ffnDim();
    int[] tokens = batch.tokens();
    for (int t = 0; t < n; t++) {
      int id = tokens[t];
      if (id < 0 || id >= c.vocabSize()) throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + c.vocabSize());
      Dequant.row(embedding.type(), embedding.data(), embedding.type().bytesFor(embedding.cols()) * id, x, t * dim, dim);
    }
    checkPages(batch, kv);
    rope.table(batch.positions(), n, cos, sin);
    for (int t = 0; t < n; t++) promptRows[t] = batch.promptRow(t);
    backend.promptRows(promptRows);

    for (int l = 0; l < c.layers(); l++) {
      LayerWeights w = layers[l];
      for (int t = 0; t < n; t++) Ops.rmsnorm(xb, t * dim, x, t * dim, w.attnNorm(), dim, c.normEps());
      backend.matmul(qkv[l], xb, n, qkvOut);
      if (w.bq() != null) {
        Ops.addBias(q, w.bq(), n);
        Ops.addBias(k, w.bk(), n);
        Ops.addBias(v, w.bv(), n);
      }
      for (int t = 0; t < n; t++) {
        if (w.qNorm() != null) {
          for (int h = 0; h < c.heads(); h++) {
            int o = t * qDim + h * c.headDim();
            Ops.rmsnorm(q, o, q, o, w.qNorm(), c.headDim(), c.normEps());
          }
          for (int h = 0; h < c.kvHeads(); h++) {
            int o = t * kvDim + h * c.headDim();
            Ops.rmsnorm(k, o, k, o, w.kNorm(), c.headDim(), c.normEps());
          }
        }
        rope.apply(q, t * qDim, c.heads(), t, cos, sin);
        rope.apply(k, t * kvDim, c.kvHeads(), t, cos, sin);
        int pos = batch.positions()[t];
        int page = batch.blockTables()[batch.seq()[t]][pos / kv.pageSize()];
        kv.write(l, page, pos % kv.pageSize(), k, t * kvDim, v, t * kvDim);
      }
      backend.attention(kv, l, q, batch, c, att);
      backend.matmul(w.wo(), att, n, xb);
      Ops.add(x, xb, 0, n * dim);

      for (int t = 0; t < n; t++) Ops.rmsnorm(xb, t * dim, x, t * dim, w.ffnNorm(), dim, c.normEps());
      backend.matmul(gateUp[l], xb, n, gateUpOut);
      Ops.swiglu(ffA, ffB, n, ffn);
      backend.matmul(w.down(), ffA, n, xb);
      Ops.add(x, xb, 0, n * dim);
    }

    int[] rows = batch.logitRows();
    for (int i = 0; i < nOut; i++) Ops.rmsnorm(lastHidden, i * dim, x, rows[i] * dim, outputNorm, dim, c.normEps());
    // llama.cpp multiplies only the rows it wants logits of, one per sequence: single-token order
    backend.promptRows(null);
    backend.matmul(output, lastHidden, nOut, logits);
  }

  /** Every position a token writes or reads must have a page: a short block table is an engine bug. */
  private static void checkPages(Batch batch, PagedKvCache kv) {
    for (int t = 0; t < batch.size(); t++) {
      int[] table = batch.blockTables()[batch.seq()[t]];
      int need = batch.positions()[t] / kv.pageSize();
      if (need >= table.length) {
        throw new IllegalArgumentException("sequence " + batch.seq()[t] + " has " + table.length
            + " pages but position " + batch.positions()[t] + " needs page #" + need);
      }
      int page = table[need];
      if (page < 0 || page >= kv.numPages()) throw new IllegalArgumentException("page " + page + " outside the KV cache");
    }
  }

  @Override
  public void close() {
    backend.close();
    file.close();
  }
}
