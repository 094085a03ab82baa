package dev.paternoster.tensor;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** A fixed pool of persistent worker threads that split index ranges. */
public final class Parallel implements AutoCloseable {
  /** Work on indices {@code [start, end)}. */
  @FunctionalInterface
  public interface RangeTask {
    void run(int start, int end);
  }

  private static volatile Parallel shared;
  private final int threads;
  private final ExecutorService pool;

  public Parallel(int threads) {
    this.threads = threads;
    this.pool = Executors.newFixedThreadPool(Math.max(1, threads - 1), r -> {
      Thread t = new Thread(r, "paternoster-compute");
      t.setDaemon(true);
      return t;
    });
  }

  public static Parallel shared() {
    if (shared == null) {
      synchronized (Parallel.class) {
        if (shared == null) {
          shared = new Parallel(Integer.getInteger("paternoster.threads", Runtime.getRuntime().availableProcessors()));
        }
      }
    }
    return shared;
  }

  public int threads() {
    return threads;
  }

  public void forRange(int n, RangeTask task) {
    int parts = Math.min(threads, n);
    if (parts <= 1) {
      task.run(0, n);
      return;
    }
    Future<?>[] futures = new Future<?>[parts - 1];
    for (int p = 1; p < parts; p++) {
      int s = (int) ((long) n * p / parts), e = (int) ((long) n * (p + 1) / parts);
      futures[p - 1] = pool.submit(() -> task.run(s, e));
    }
    task.run(0, (int) ((long) n / parts));
    try {
      for (Future<?> f : futures) f.get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      throw new RuntimeException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RuntimeException(e);
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
