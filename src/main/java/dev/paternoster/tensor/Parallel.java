package dev.paternoster.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of persistent worker threads for data-parallel loops.
 *
 * <p>{@link #forRange} splits {@code [0, n)} into one contiguous chunk per thread; the calling
 * thread runs chunk 0 itself. A call neither creates threads nor allocates: the task is published
 * through a generation counter that idle workers spin on for a short while (a forward pass calls
 * this hundreds of times in quick succession, and waking a parked thread costs tens of
 * microseconds) before parking.
 *
 * <p>One call at a time: a call made while another is running (from another thread, or nested
 * from inside a task) runs its whole range on the calling thread instead of waiting.
 */
public final class Parallel implements AutoCloseable {
  /** A task over the index range {@code [start, end)}. */
  @FunctionalInterface
  public interface RangeTask {
    void run(int start, int end);
  }

  /** How long an idle worker or a waiting caller spins before parking, in nanoseconds. */
  private static final long SPIN_NANOS = Long.getLong("paternoster.spinNanos", 50_000L);

  private final int threads;
  private final Worker[] workers;
  private final boolean closeable;
  private final AtomicBoolean busy = new AtomicBoolean();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile int generation;
  private volatile boolean closed;
  private volatile Thread waiter;
  // Published by the generation write, read by workers after they see it.
  private RangeTask task;
  private int n;

  /** A pool of {@code threads} threads in all (the caller counts as one). */
  public Parallel(int threads) {
    this(threads, true);
  }

  private Parallel(int threads, boolean closeable) {
    if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    this.threads = threads;
    this.closeable = closeable;
    this.workers = new Worker[threads - 1];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Worker(i + 1);
      workers[i].thread.start();
    }
  }

  /** A pool with one thread per available processor. */
  public Parallel() {
    this(Runtime.getRuntime().availableProcessors());
  }

  private static final class Shared {
    static final Parallel POOL = new Parallel(
        Integer.getInteger("paternoster.threads", Runtime.getRuntime().availableProcessors()), false);
  }

  /** The process-wide pool, sized by {@code -Dpaternoster.threads} (default: available processors). */
  public static Parallel shared() {
    return Shared.POOL;
  }

  public int threads() {
    return threads;
  }

  /**
   * Runs {@code task} over {@code [0, n)} split into contiguous chunks, one per thread, and
   * returns when all are done. An exception thrown by any chunk is rethrown here (after all
   * chunks finished); if several fail, the others are added as suppressed.
   */
  public void forRange(int n, RangeTask task) {
    if (n <= 0) return;
    if (closed) throw new IllegalStateException("Parallel pool is closed");
    if (threads == 1 || n == 1 || !busy.compareAndSet(false, true)) {
      task.run(0, n);
      return;
    }
    try {
      this.task = task;
      this.n = n;
      failure.set(null);
      pending.set(workers.length);
      generation = generation + 1; // publishes task and n
      for (Worker w : workers) {
        if (w.parked) LockSupport.unpark(w.thread);
      }
      try {
        int end = chunkEnd(n, 0);
        if (end > 0) task.run(0, end);
      } catch (Throwable t) {
        recordFailure(t);
      }
      awaitWorkers();
      this.task = null;
      Throwable t = failure.getAndSet(null);
      if (t != null) {
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        throw new RuntimeException(t);
      }
    } finally {
      busy.set(false);
    }
  }

  private int chunkEnd(int n, int chunk) {
    return (int) ((long) n * (chunk + 1) / threads);
  }

  private void recordFailure(Throwable t) {
    if (!failure.compareAndSet(null, t)) {
      Throwable first = failure.get();
      if (first != null && first != t) first.addSuppressed(t);
    }
  }

  private void awaitWorkers() {
    long deadline = System.nanoTime() + SPIN_NANOS;
    while (pending.get() != 0) {
      if (System.nanoTime() < deadline) {
        Thread.onSpinWait();
      } else {
        waiter = Thread.currentThread();
        if (pending.get() != 0) LockSupport.parkNanos(this, 1_000_000L);
        waiter = null;
      }
    }
  }

  private void finished() {
    if (pending.decrementAndGet() == 0) {
      Thread w = waiter;
      if (w != null) LockSupport.unpark(w);
    }
  }

  /** Stops the workers (no-op for {@link #shared()}). */
  @Override
  public void close() {
    if (!closeable || closed) return;
    closed = true;
    generation = generation + 1;
    for (Worker w : workers) LockSupport.unpark(w.thread);
  }

  private final class Worker implements Runnable {
    final int index;
    final Thread thread;
    volatile boolean parked;

    Worker(int index) {
      this.index = index;
      this.thread = Thread.ofPlatform().daemon().name("paternoster-parallel-" + index).unstarted(this);
    }

    @Override
    public void run() {
      // Not "generation" read now: the first call may already have been published before this
      // thread got to run, and must not be missed.
      int seen = 0;
      while (true) {
        seen = awaitGeneration(seen);
        if (closed) return;
        int total = n;
        int start = chunkEnd(total, index - 1), end = chunkEnd(total, index);
        try {
          if (start < end) task.run(start, end);
        } catch (Throwable t) {
          recordFailure(t);
        }
        finished();
      }
    }

    private int awaitGeneration(int seen) {
      long deadline = System.nanoTime() + SPIN_NANOS;
      int g;
      while ((g = generation) == seen) {
        if (System.nanoTime() < deadline) {
          Thread.onSpinWait();
        } else {
          parked = true;
          if (generation == seen) LockSupport.park(this);
          parked = false;
        }
      }
      return g;
    }
  }
}
