package dev.paternoster.reliability;

import dev.paternoster.model.Batch;
import dev.paternoster.model.KvCache;
import dev.paternoster.model.Model;
import dev.paternoster.model.ModelConfig;
import dev.paternoster.tokenizer.Tokenizer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The real model with two knobs for breaking things on purpose: a <em>poison token</em> whose
 * presence anywhere in a forward batch makes {@code forward} throw (an injected fault inside one
 * engine step), and a minimum step time (to keep requests alive long enough to disconnect from).
 */
final class FaultyModel implements Model {
  static final String FAULT_MESSAGE = "injected fault: poison token in the batch";

  private final Model inner;
  volatile int poisonToken = -1;
  volatile long stepMillis;
  /** What the poison token throws. */
  volatile java.util.function.Supplier<RuntimeException> fault = () -> new IllegalStateException(FAULT_MESSAGE);
  final AtomicLong forwards = new AtomicLong();
  final AtomicLong faults = new AtomicLong();

  FaultyModel(Model inner) {
    this.inner = inner;
  }

  @Override public ModelConfig config() { return inner.config(); }
  @Override public Tokenizer tokenizer() { return inner.tokenizer(); }
  @Override public long kvBytesPerPage(int pageSize, dev.paternoster.model.KvCacheDtype dtype) { return inner.kvBytesPerPage(pageSize, dtype); }
  @Override public boolean promptRowsMatter() { return inner.promptRowsMatter(); }
  @Override public KvCache newKvCache(int numPages, int pageSize, dev.paternoster.model.KvCacheDtype dtype) { return inner.newKvCache(numPages, pageSize, dtype); }
  @Override public int maxBatchTokens() { return inner.maxBatchTokens(); }

  @Override
  public void forward(Batch batch, KvCache kv, float[] logits) {
    forwards.incrementAndGet();
    long ms = stepMillis;
    if (ms > 0) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    int poison = poisonToken;
    if (poison >= 0) {
      for (int t : batch.tokens()) {
        if (t == poison) {
          faults.incrementAndGet();
          throw fault.get();
        }
      }
    }
    inner.forward(batch, kv, logits);
  }

  @Override public void close() {} // the fixture closes the real model
}
