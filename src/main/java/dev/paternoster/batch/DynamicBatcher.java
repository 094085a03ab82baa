package dev.paternoster.batch;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.SequencedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A request-level dynamic batcher: callers submit single requests, and a batch function sees them
 * in groups, the way Ray Serve's {@code @serve.batch}, Triton's dynamic batcher or TorchServe's
 * {@code batchSize}/{@code maxBatchDelay} do. Meant for embeddings, re-rankers, classifiers, or an
 * LLM run without continuous batching.
 *
 * <h2>Rules</h2>
 *
 * <ul>
 *   <li>A batch is dispatched as soon as {@code maxBatchSize} requests are queued, or once its
 *       oldest request has waited {@code maxWait} since that request's arrival; {@code maxWait =
 *       0} dispatches whatever is queued at once.
 *   <li>At most {@code maxConcurrentBatches} calls of the batch function run at a time. While all
 *       are busy, a ready batch is not cut off: requests keep queueing and the next batch takes up
 *       to {@code maxBatchSize} of them as soon as a call finishes (an overdue request goes out
 *       immediately then, without waiting another {@code maxWait}).
 *   <li>At most {@code maxQueueSize} requests wait; a submit beyond that gets a future already
 *       failed with {@link QueueFullException}. Submitting never blocks on the batch function.
 *   <li>Cancelling a future (or completing it any other way) before dispatch removes its request;
 *       it does not count toward a batch and the function never sees it.
 *   <li>A batch function that throws, or returns the wrong number of results ({@link
 *       BatchResultMismatchException}), fails exactly the futures of that batch.
 *   <li>{@link #close()} stops accepting and drains; {@link #close(ShutdownMode)} with {@link
 *       ShutdownMode#FAIL_PENDING} fails the queued requests instead. Both wait for running
 *       batches and leave no thread behind. Later submits fail with {@link
 *       BatcherClosedException}.
 * </ul>
 *
 * <h2>Threads</h2>
 *
 * One platform dispatcher thread blocks on a condition until there is work or the oldest
 * request's deadline (never polls), then starts a thread for the batch from the batch thread
 * factory (virtual threads by default). A batch thread that finishes while another batch is
 * already ready runs that one too, keeping its slot, so a saturated batcher does not bounce every
 * batch through the dispatcher. Batch slots are a counter under the same lock rather than a {@link
 * java.util.concurrent.Semaphore}, so that "a slot is free" and "a batch is ready" are decided
 * atomically and one condition wakes the dispatcher for both.
 *
 * @param <I> request type
 * @param <O> result type
 */
public final class DynamicBatcher<I, O> implements AutoCloseable {

  /**
   * Bound while a batch function runs, to recognise {@code close()} called from inside it: that
   * call cannot wait for its own batch to finish.
   */
  private static final ScopedValue<DynamicBatcher<?, ?>> RUNNING_BATCH_OF =
      ScopedValue.newInstance();

  private final String name;
  private final BatcherConfig config;
  private final long maxWaitNanos;
  private final BatcherClock clock;
  private final BatcherMetrics metrics;
  private final BatchRunner<I, O> runner;
  private final ExecutorService batchExecutor;
  private final Thread dispatcher;
  private final Runnable wakeUpDispatcher = this::wakeUpDispatcher;

  private final ReentrantLock lock = new ReentrantLock();
  /** Signalled when the dispatcher's decision may change: arrival, full batch, free slot, close. */
  private final Condition dispatcherWakeUp = lock.newCondition();
  /** Requests not yet dispatched, oldest first. Guarded by {@link #lock}. */
  private final SequencedSet<PendingRequest<I, O>> queue = new LinkedHashSet<>();
  /** Batches handed to the batch function and not finished. Guarded by {@link #lock}. */
  private int activeBatches;
  /** Guarded by {@link #lock}. */
  private boolean closed;

  private DynamicBatcher(Builder<I, O> builder) {
    this.name = builder.name;
    this.config = builder.config;
    this.maxWaitNanos = config.maxWaitNanos();
    this.clock = builder.clock;
    MicrometerBatcherMeters meters =
        builder.meterRegistry == null
            ? null
            : new MicrometerBatcherMeters(builder.meterRegistry, name, config.maxBatchSize());
    this.metrics = new BatcherMetrics(config.maxBatchSize(), meters);
    this.runner = new BatchRunner<>(name, builder.function, clock, metrics);
    ThreadFactory batchThreads =
        builder.batchThreadFactory != null
            ? builder.batchThreadFactory
            : Thread.ofVirtual().name("paternoster-batcher-" + name + "-batch-", 0).factory();
    this.batchExecutor = Executors.newThreadPerTaskExecutor(batchThreads);
    this.dispatcher =
        Thread.ofPlatform()
            .name("paternoster-batcher-" + name + "-dispatcher")
            .daemon(true)
            .unstarted(this::runDispatcher);
    if (builder.meterRegistry != null) {
      MicrometerBatcherMeters.registerGauges(builder.meterRegistry, this);
    }
  }

  /** A builder for a batcher around {@code function}; see {@link Builder} for the defaults. */
  public static <I, O> Builder<I, O> builder(BatchFunction<I, O> function) {
    return new Builder<>(function);
  }

  /** Starts a batcher with {@code config} and the defaults for everything else. */
  public static <I, O> DynamicBatcher<I, O> start(
      BatcherConfig config, BatchFunction<I, O> function) {
    return builder(function).config(config).start();
  }

  /**
   * Queues one request. Never blocks on the batch function, only briefly on the queue's lock.
   *
   * @return a future completed with this request's result; already failed with {@link
   *     QueueFullException} when {@code maxQueueSize} requests are waiting, or with {@link
   *     BatcherClosedException} after close. Cancelling it before dispatch withdraws the request.
   * @throws NullPointerException if {@code input} is null
   */
  public CompletableFuture<O> submit(I input) {
    Objects.requireNonNull(input, "input");
    PendingRequest<I, O> request;
    lock.lock();
    try {
      if (closed) {
        metrics.requestRejectedClosed();
        return CompletableFuture.failedFuture(BatcherClosedException.submittedAfterClose(name));
      }
      if (queue.size() >= config.maxQueueSize()) {
        metrics.requestRejectedQueueFull();
        return CompletableFuture.failedFuture(new QueueFullException(name, config.maxQueueSize()));
      }
      request = new PendingRequest<>(input, clock.nanoTime());
      boolean wasEmpty = queue.isEmpty();
      queue.add(request);
      metrics.requestSubmitted();
      // Wake the dispatcher only when its decision changes: a first request starts the maxWait
      // timer, a full batch is ready now. Requests in between join the batch being timed.
      if (wasEmpty || queue.size() == config.maxBatchSize()) {
        dispatcherWakeUp.signal();
      }
    } finally {
      lock.unlock();
    }
    // Registered after queueing: if the request was dispatched and settled meanwhile, the callback
    // runs right here and finds it no longer queued.
    request.future().whenComplete((result, failure) -> {
      if (request.isQueued()) {
        withdraw(request);
      }
    });
    return request.future();
  }

  /** Counters, batch-size histogram and latency summaries as of now. */
  public BatcherStats stats() {
    int queued;
    int active;
    lock.lock();
    try {
      queued = queue.size();
      active = activeBatches;
    } finally {
      lock.unlock();
    }
    return metrics.snapshot(queued, active);
  }

  public String name() {
    return name;
  }

  public BatcherConfig config() {
    return config;
  }

  /** True once {@code close} was called (or the dispatcher failed); submits are refused. */
  public boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  /** Same as {@code close(ShutdownMode.DRAIN)}: every queued request is still answered. */
  @Override
  public void close() {
    close(ShutdownMode.DRAIN);
  }

  /**
   * Stops accepting requests, settles the queued ones as {@code mode} says, and waits until every
   * batch has finished and the batcher's threads have ended. Idempotent; a later call with {@link
   * ShutdownMode#FAIL_PENDING} fails whatever an earlier drain has not dispatched yet.
   *
   * <p>Called from inside the batch function it cannot wait for its own batch, so it only starts
   * the shutdown. An interrupt while waiting for running batches interrupts them (as {@link
   * ExecutorService#close()} does); the caller's interrupt status is kept either way.
   */
  public void close(ShutdownMode mode) {
    Objects.requireNonNull(mode, "mode");
    List<PendingRequest<I, O>> abandoned = List.of();
    lock.lock();
    try {
      closed = true;
      if (mode == ShutdownMode.FAIL_PENDING && !queue.isEmpty()) {
        abandoned = takeAll();
      }
      dispatcherWakeUp.signal();
    } finally {
      lock.unlock();
    }
    runner.failAll(abandoned, BatcherClosedException.closedBeforeDispatch(name));

    if (RUNNING_BATCH_OF.isBound() && RUNNING_BATCH_OF.get() == this) {
      return; // the dispatcher still drains and shuts the batch executor down when it exits
    }
    boolean interrupted = false;
    while (dispatcher.isAlive()) {
      try {
        dispatcher.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    batchExecutor.close(); // already shut down by the dispatcher; waits for running batches
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Requests waiting now; read by the Micrometer gauge. */
  int queuedCount() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Batches running now; read by the Micrometer gauge. */
  int activeBatchCount() {
    lock.lock();
    try {
      return activeBatches;
    } finally {
      lock.unlock();
    }
  }

  private DynamicBatcher<I, O> startDispatcher() {
    clock.addWakeUpListener(wakeUpDispatcher);
    dispatcher.start();
    return this;
  }

  private void runDispatcher() {
    try {
      dispatchLoop();
    } finally {
      // Only the dispatcher starts batch threads (a batch thread runs follow-up batches itself),
      // so once it has drained the queue and left, no new thread can be needed.
      batchExecutor.shutdown();
      clock.removeWakeUpListener(wakeUpDispatcher);
    }
  }

  /**
   * The dispatcher: holds the lock except while handing a batch over, and blocks on {@link
   * #dispatcherWakeUp} whenever there is nothing to do until a signal or the oldest request's
   * deadline.
   */
  private void dispatchLoop() {
    lock.lock();
    try {
      while (true) {
        try {
          if (queue.isEmpty()) {
            if (closed) {
              return;
            }
            clock.await(dispatcherWakeUp);
            continue;
          }
          if (!closed && queue.size() < config.maxBatchSize()) {
            // Deadline counted from the oldest request's arrival, not from this wake-up.
            long deadline = queue.getFirst().arrivalNanos() + maxWaitNanos;
            if (deadline - clock.nanoTime() > 0) {
              clock.awaitUntil(dispatcherWakeUp, deadline);
              continue;
            }
          }
          if (activeBatches >= config.maxConcurrentBatches()) {
            // Ready but no free slot: keep queueing; the batch grows until a running one ends.
            clock.await(dispatcherWakeUp);
            continue;
          }
          Batch<I, O> batch = takeBatch();
          activeBatches++;
          lock.unlock();
          try {
            handOver(batch);
          } finally {
            lock.lock();
          }
        } catch (InterruptedException e) {
          // Nothing interrupts the dispatcher on purpose, and leaving would strand every queued
          // future, so the interrupt is dropped and the loop re-checks its state.
        }
      }
    } catch (Throwable bug) {
      // Should never happen; if it does, no caller may be left waiting forever.
      if (!lock.isHeldByCurrentThread()) {
        lock.lock();
      }
      closed = true;
      List<PendingRequest<I, O>> stranded = takeAll();
      lock.unlock();
      try {
        runner.failAll(
            stranded,
            new IllegalStateException("dispatcher of batcher '" + name + "' failed", bug));
      } finally {
        lock.lock();
      }
      throw bug;
    } finally {
      if (lock.isHeldByCurrentThread()) {
        lock.unlock();
      }
    }
  }

  private void handOver(Batch<I, O> batch) {
    try {
      batchExecutor.execute(
          () -> ScopedValue.where(RUNNING_BATCH_OF, this).run(() -> runFrom(batch)));
    } catch (Throwable cannotStart) {
      // e.g. no thread could be created: this batch fails, the batcher goes on.
      releaseSlot();
      runner.failAll(batch.requests(), cannotStart);
    }
  }

  /**
   * Runs {@code first} and then, while another batch is already ready, that one too, on the same
   * thread and slot. Under load this skips two thread hand-offs per batch (back to the dispatcher
   * and out to a new thread); the dispatcher is only needed to time partial batches.
   */
  private void runFrom(Batch<I, O> first) {
    boolean holdsSlot = true;
    try {
      Batch<I, O> batch = first;
      while (batch != null) {
        runner.run(batch);
        batch = takeReadyBatchOrReleaseSlot();
      }
      holdsSlot = false;
    } finally {
      if (holdsSlot) {
        releaseSlot();
      }
    }
  }

  /** The next batch if one is ready now (keeping this slot), else null with the slot freed. */
  private Batch<I, O> takeReadyBatchOrReleaseSlot() {
    lock.lock();
    try {
      if (!queue.isEmpty()
          && (closed
              || queue.size() >= config.maxBatchSize()
              || queue.getFirst().arrivalNanos() + maxWaitNanos - clock.nanoTime() <= 0)) {
        return takeBatch();
      }
      activeBatches--;
      dispatcherWakeUp.signal();
      return null;
    } finally {
      lock.unlock();
    }
  }

  private void releaseSlot() {
    lock.lock();
    try {
      activeBatches--;
      dispatcherWakeUp.signal();
    } finally {
      lock.unlock();
    }
  }

  /** The caller settled a still-queued request's future (usually cancel): drop the request. */
  private void withdraw(PendingRequest<I, O> request) {
    lock.lock();
    try {
      // No signal: a smaller queue never makes a batch ready sooner; if the oldest request left,
      // the dispatcher wakes at its old deadline and recomputes.
      if (queue.remove(request)) {
        request.markDequeued();
        metrics.requestCancelled();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Takes the next batch off the queue; caller holds the lock. */
  private Batch<I, O> takeBatch() {
    return new Batch<>(takeUpTo(config.maxBatchSize()), clock.nanoTime());
  }

  /** Takes the oldest {@code max} requests; caller holds the lock. */
  private List<PendingRequest<I, O>> takeUpTo(int max) {
    int size = Math.min(max, queue.size());
    List<PendingRequest<I, O>> taken = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      PendingRequest<I, O> request = queue.removeFirst();
      request.markDequeued();
      taken.add(request);
    }
    return taken;
  }

  private List<PendingRequest<I, O>> takeAll() {
    return takeUpTo(queue.size());
  }

  private void wakeUpDispatcher() {
    lock.lock();
    try {
      dispatcherWakeUp.signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Configures and starts a {@link DynamicBatcher}. Defaults: {@link BatcherConfig#builder()}'s
   * config, name {@code "batcher"}, no Micrometer registry, the system clock, and a virtual thread
   * per batch.
   */
  public static final class Builder<I, O> {
    private final BatchFunction<I, O> function;
    private BatcherConfig config = BatcherConfig.builder().build();
    private String name = "batcher";
    private MeterRegistry meterRegistry;
    private BatcherClock clock = BatcherClock.system();
    private ThreadFactory batchThreadFactory;

    private Builder(BatchFunction<I, O> function) {
      this.function = Objects.requireNonNull(function, "function");
    }

    public Builder<I, O> config(BatcherConfig config) {
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /** Names the batcher in thread names, metric tags and error messages, e.g. "embeddings". */
    public Builder<I, O> name(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("name must not be blank");
      }
      this.name = name;
      return this;
    }

    /** Also publishes the metrics to {@code registry} (see {@code MicrometerBatcherMeters}). */
    public Builder<I, O> meterRegistry(MeterRegistry registry) {
      this.meterRegistry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /** The time source and waiting strategy; tests pass a manual clock. */
    public Builder<I, O> clock(BatcherClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Creates the thread each batch runs on, e.g. platform threads for long native calls. */
    public Builder<I, O> batchThreadFactory(ThreadFactory factory) {
      this.batchThreadFactory = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /** Creates the batcher and starts its dispatcher thread. */
    public DynamicBatcher<I, O> start() {
      return new DynamicBatcher<>(this).startDispatcher();
    }
  }
}
