package dev.paternoster.server;

import dev.paternoster.model.Batch;
import dev.paternoster.model.KvCache;
import dev.paternoster.model.Model;
import dev.paternoster.model.ModelConfig;
import dev.paternoster.tokenizer.Tokenizer;

/** A real model whose every forward step takes at least {@code stepMillis}: long requests for disconnect and shutdown tests. */
final class ThrottledModel implements Model {
  private final Model inner;
  volatile long stepMillis;
  /** When set, every forward step throws: the engine fails the requests in that step. */
  volatile boolean failing;

  ThrottledModel(Model inner, long stepMillis) {
    this.inner = inner;
    this.stepMillis = stepMillis;
  }

  @Override public ModelConfig config() { return inner.config(); }
  @Override public Tokenizer tokenizer() { return inner.tokenizer(); }
  @Override public long kvBytesPerPage(int pageSize, dev.paternoster.model.KvCacheDtype dtype) { return inner.kvBytesPerPage(pageSize, dtype); }
  @Override public boolean promptRowsMatter() { return inner.promptRowsMatter(); }
  @Override public KvCache newKvCache(int numPages, int pageSize, dev.paternoster.model.KvCacheDtype dtype) { return inner.newKvCache(numPages, pageSize, dtype); }
  @Override public int maxBatchTokens() { return inner.maxBatchTokens(); }

  @Override
  public void forward(Batch batch, KvCache kv, float[] logits) {
    long ms = stepMillis;
    if (ms > 0) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (failing) throw new IllegalStateException("simulated kernel failure");
    inner.forward(batch, kv, logits);
  }

  @Override public void close() {} // the fixture closes the real model
}
