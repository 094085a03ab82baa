package dev.paternoster.engine;

import dev.paternoster.model.KvCache;
import dev.paternoster.model.Model;
import dev.paternoster.model.ModelConfig;
import dev.paternoster.tokenizer.Tokenizer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Paternoster's continuous-batching engine: one thread that repeatedly schedules a batch (decode
 * tokens of running sequences first, then prompt chunks), runs one {@link Model#forward} for it,
 * samples, and streams tokens out.
 *
 * <pre>{@code
 * try (Engine engine = Engine.start(model, EngineConfig.defaults())) {
 *   int[] prompt = model.tokenizer().encode("Once upon a time", true, false);
 *   RequestHandle h = engine.submit(
 *       GenerationRequest.of(prompt, SamplingParams.greedy(32)),
 *       e -> System.out.print(e.textDelta()));
 *   GenerationResult r = h.result().join();
 * }
 * }</pre>
 *
 * <p>All public methods are thread-safe. {@link #submit} never waits for the model: it validates,
 * enqueues a command and returns. The engine thread owns every scheduling structure; callers only
 * talk to it through that command queue, so no lock is held while the model runs.
 */
public final class Engine implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Engine.class.getName());
  private static final long PREEMPTION_WARNING_INTERVAL = TimeUnit.SECONDS.toNanos(30);

  /** Messages from other threads to the engine thread. */
  private sealed interface Command {
    record Submit(RequestState request) implements Command {}

    record Abort(RequestState request) implements Command {}

    record Shutdown(long deadlineNanos) implements Command {}

    /** Runs a task between steps (tests inspect engine-thread state with it). */
    record Run(Runnable task) implements Command {}
  }

  private final Model model;
  private final EngineConfig config;
  private final Tokenizer tokenizer;
  private final KvCache kv;
  private final int vocabSize;
  private final int maxModelLen;
  private final BlockManager blocks;
  private final Scheduler scheduler;
  private final ModelRunner runner;
  private final Sampler sampler;

  private final LinkedBlockingQueue<Command> inbox = new LinkedBlockingQueue<>();
  private final ConcurrentHashMap<String, RequestState> live = new ConcurrentHashMap<>();
  private final CopyOnWriteArrayList<EngineObserver> observers = new CopyOnWriteArrayList<>();
  /** Accepted and not yet admitted (the queue that {@code maxQueuedRequests} caps). */
  private final AtomicInteger queued = new AtomicInteger();
  /** Engine thread only: admitted by the current schedule(), not yet taken off {@link #queued}. */
  private int admittedUnpublished;
  /** Submitted but not yet taken from the inbox by the engine thread. */
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong arrivals = new AtomicLong();
  private final Object lifecycle = new Object();
  private boolean accepting = true; // guarded by lifecycle
  private final Thread thread;

  // Engine thread only.
  private boolean shuttingDown;
  private long shutdownDeadline;
  private long lastPreemptionWarning = System.nanoTime() - PREEMPTION_WARNING_INTERVAL;
  private long requestsFinished;
  private volatile long steps;
  private volatile EngineSnapshot snapshot;

  private Engine(Model model, EngineConfig config) {
    this.model = model;
    this.config = config;
    this.tokenizer = model.tokenizer();
    ModelConfig mc = model.config();
    this.vocabSize = mc.vocabSize();
    int pageSize = config.pageSize();
    int contextLen = config.maxModelLen() > 0 ? config.maxModelLen() : mc.contextLength();
    int budget = Math.min(config.maxNumBatchedTokens(), model.maxBatchTokens());
    if (budget < config.maxNumBatchedTokens()) {
      LOG.log(System.Logger.Level.WARNING, "maxNumBatchedTokens {0} lowered to the model''s maxBatchTokens {1}", config.maxNumBatchedTokens(), budget);
    }
    // Every running sequence needs at least one token of the budget per step.
    int maxSeqs = Math.min(config.maxNumSeqs(), budget);
    int numPages = numPages(model, config, contextLen, maxSeqs);
    long capacity = (long) numPages * pageSize;
    if (capacity < contextLen) {
      LOG.log(System.Logger.Level.WARNING, "KV cache holds {0} tokens, less than the context of {1}: max_model_len lowered to {0}", capacity, contextLen);
      contextLen = (int) capacity;
    }
    this.maxModelLen = contextLen;
    this.kv = model.newKvCache(numPages, pageSize, config.kvCacheDtype());
    this.blocks = new BlockManager(numPages, pageSize, model.promptRowsMatter());
    this.scheduler = new Scheduler(blocks, config, maxSeqs, budget, r -> admittedUnpublished++);
    this.runner = new ModelRunner(model, kv, vocabSize, maxSeqs);
    this.sampler = new Sampler(vocabSize, tokenizer);
    LOG.log(
        System.Logger.Level.INFO,
        "KV cache: {0} pages x {1} tokens = {2} tokens ({3} MiB, {9}); max_model_len {4}, max_num_seqs {5}, max_num_batched_tokens {6}, {7} {8}",
        numPages, pageSize, capacity, kv.byteSize() >> 20, maxModelLen, maxSeqs, budget, config.mode(), config.policy(),
        config.kvCacheDtype().label());
    publishSnapshot();
    this.thread = Thread.ofPlatform().name("paternoster-engine").daemon(true).unstarted(this::run);
  }

  /**
   * Allocates the KV cache (logging its capacity in tokens) and starts the engine thread.
   *
   * @throws IllegalArgumentException if the KV budget does not hold a single page
   */
  public static Engine start(Model model, EngineConfig config) {
    Objects.requireNonNull(model, "model");
    Engine e = new Engine(model, config == null ? EngineConfig.defaults() : config);
    e.thread.start();
    return e;
  }

  private static int numPages(Model model, EngineConfig c, int contextLen, int maxSeqs) {
    if (c.numPages() > 0) return c.numPages();
    long perPage = model.kvBytesPerPage(c.pageSize(), c.kvCacheDtype());
    if (perPage <= 0) throw new IllegalArgumentException("model reports " + perPage + " bytes per KV page");
    long pages;
    if (c.kvCacheBytes() > 0) {
      pages = c.kvCacheBytes() / perPage;
    } else {
      double fraction = c.kvCacheFraction() > 0 ? c.kvCacheFraction() : 0.5;
      pages = (long) (freeMemory() * fraction) / perPage;
      if (c.kvCacheFraction() == 0) {
        long enough = (long) ((contextLen + c.pageSize() - 1) / c.pageSize()) * maxSeqs;
        pages = Math.min(pages, enough);
      }
    }
    if (pages < 1) {
      throw new IllegalArgumentException("the KV cache budget holds no page of " + perPage + " bytes; raise kvCacheBytes or kvCacheFraction");
    }
    return (int) Math.min(pages, Integer.MAX_VALUE / Math.max(1, c.pageSize()));
  }

  private static long freeMemory() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getFreeMemorySize();
    }
    return Runtime.getRuntime().maxMemory() / 2;
  }

  /**
   * Queues a request; tokens go to {@code listener} as they are generated (on the engine thread).
   *
   * @throws InvalidRequestException empty prompt, token ids outside the vocabulary, prompt +
   *     max_tokens beyond the context, a duplicate live request id, or bad sampling parameters
   * @throws QueueFullException the waiting queue is at {@link EngineConfig#maxQueuedRequests()}
   * @throws EngineClosedException after {@link #shutdown} began
   */
  public RequestHandle submit(GenerationRequest request, TokenListener listener) {
    Objects.requireNonNull(request, "request");
    validate(request);
    long now = System.nanoTime();
    synchronized (lifecycle) {
      if (!accepting) throw new EngineClosedException("the engine is shut down and takes no new requests");
      if (queued.get() >= config.maxQueuedRequests()) {
        throw new QueueFullException("the waiting queue is full (" + config.maxQueuedRequests() + " requests); retry later");
      }
      RequestState r = new RequestState(request, listener, tokenizer, config.pageSize(), now, arrivals.incrementAndGet(), steps, this::requestAbort);
      if (live.putIfAbsent(request.requestId(), r) != null) {
        throw new InvalidRequestException("request_id", "request_id '" + request.requestId() + "' is already in use");
      }
      queued.incrementAndGet();
      inFlight.incrementAndGet();
      inbox.add(new Command.Submit(r));
      return r;
    }
  }

  private void validate(GenerationRequest request) {
    String id = request.requestId();
    if (id == null || id.isBlank()) throw new InvalidRequestException("request_id", "request_id must not be empty");
    int[] prompt = request.promptIds();
    if (prompt == null || prompt.length == 0) throw new InvalidRequestException("prompt", "prompt must not be empty");
    for (int i = 0; i < prompt.length; i++) {
      if (prompt[i] < 0 || prompt[i] >= vocabSize) {
        throw new InvalidRequestException(
            "prompt", "prompt token " + i + " is " + prompt[i] + ", outside the vocabulary [0, " + vocabSize + ")");
      }
    }
    SamplingParams p = request.params();
    p.validate(vocabSize);
    if (prompt.length >= maxModelLen) {
      throw new InvalidRequestException(
          "prompt",
          "prompt has " + prompt.length + " tokens, the context holds " + maxModelLen
              + (prompt.length == maxModelLen ? " (no room left to generate)" : ""));
    }
    if ((long) prompt.length + p.maxTokens() > maxModelLen) {
      throw new InvalidRequestException(
          "max_tokens",
          "prompt has " + prompt.length + " tokens and max_tokens is " + p.maxTokens() + ", together "
              + (prompt.length + (long) p.maxTokens()) + ", but the context holds " + maxModelLen);
    }
  }

  private void requestAbort(RequestState r) {
    inbox.add(new Command.Abort(r));
  }

  /** Registers an observer of steps and finished requests. */
  public void addObserver(EngineObserver observer) {
    observers.add(Objects.requireNonNull(observer));
  }

  public void removeObserver(EngineObserver observer) {
    observers.remove(observer);
  }

  /** Current gauges and counters; cheap, callable from any thread. */
  public EngineSnapshot snapshot() {
    EngineSnapshot s = snapshot;
    int pending = inFlight.get();
    if (pending == 0) return s;
    return new EngineSnapshot(
        s.running(), s.waiting() + pending, s.kvPagesTotal(), s.kvPagesUsed(), s.kvPagesCached(), s.kvPagesFree(),
        s.pageSize(), s.preemptionsTotal(), s.promptTokensTotal(), s.generationTokensTotal(),
        s.prefixCacheQueriesTotal(), s.prefixCacheHitsTotal(), s.requestsFinishedTotal(), s.steps());
  }

  /** Tokens the KV cache can hold ({@code pages * pageSize}). */
  public int capacityTokens() {
    return blocks.numPages() * blocks.pageSize();
  }

  /** Longest prompt + max_tokens accepted. */
  public int maxModelLen() {
    return maxModelLen;
  }

  public EngineConfig config() {
    return config;
  }

  /** The model's tokenizer (for servers that tokenize prompts and count tokens). */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /**
   * Stops accepting requests, lets accepted ones (running and queued) go on for up to {@code
   * grace}, then aborts the rest, waits for the engine thread to exit and frees the KV cache. The
   * model itself is not closed (the caller owns it). Idempotent.
   */
  public void shutdown(Duration grace) {
    synchronized (lifecycle) {
      if (accepting) {
        accepting = false;
        inbox.add(new Command.Shutdown(System.nanoTime() + Math.max(0, grace.toNanos())));
      }
    }
    if (Thread.currentThread() == thread) return; // called from a listener: the loop ends by itself
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  /** {@code shutdown(Duration.ZERO)}: aborts whatever is still running. */
  @Override
  public void close() {
    shutdown(Duration.ZERO);
  }

  // ---------------------------------------------------------------- engine thread

  private void run() {
    try {
      loop();
    } catch (Throwable t) {
      LOG.log(System.Logger.Level.ERROR, "engine thread failed; failing all requests", t);
      synchronized (lifecycle) {
        accepting = false;
      }
      endAll(FinishReason.ERROR, "engine failed: " + t);
    } finally {
      synchronized (lifecycle) {
        accepting = false;
      }
      endAll(FinishReason.ABORT, null);
      kv.close();
      publishSnapshot();
    }
  }

  private void loop() throws InterruptedException {
    while (true) {
      if (!scheduler.hasWork() && !shuttingDown) {
        handle(inbox.take()); // idle: sleep until someone submits (no polling)
      }
      drainInbox();
      if (shuttingDown && (!scheduler.hasWork() || System.nanoTime() - shutdownDeadline >= 0)) return;
      if (!scheduler.hasWork()) continue;
      if (scheduler.isIdle() && !config.maxWait().isZero() && !shuttingDown) {
        gatherFirstBatch();
        if (!scheduler.hasWork()) continue;
      }
      step();
    }
  }

  private void drainInbox() {
    Command c;
    while ((c = inbox.poll()) != null) handle(c);
    publishSnapshot();
  }

  /**
   * Idle engine, work arrived: hold it up to {@code maxWait} after the oldest arrival, or until the
   * waiting work would fill a batch, so the first step is fuller. Costs that much extra latency for
   * the first request; pays off only when arrivals come in bursts.
   */
  private void gatherFirstBatch() throws InterruptedException {
    long maxWait = config.maxWait().toNanos();
    while (scheduler.hasWork() && !scheduler.batchFull() && !shuttingDown) {
      long left = scheduler.oldestWaitingArrival() + maxWait - System.nanoTime();
      if (left <= 0) return;
      Command c = inbox.poll(left, TimeUnit.NANOSECONDS);
      if (c != null) {
        handle(c);
        drainInbox();
      }
    }
  }

  private void handle(Command c) {
    switch (c) {
      case Command.Submit(RequestState r) -> {
        inFlight.decrementAndGet();
        scheduler.add(r);
      }
      case Command.Abort(RequestState r) -> {
        if (!r.isDone()) end(r, FinishReason.ABORT, null);
      }
      case Command.Shutdown(long deadline) -> {
        shuttingDown = true;
        shutdownDeadline = deadline;
      }
      case Command.Run(Runnable task) -> task.run();
    }
  }

  private void step() {
    long t0 = System.nanoTime();
    ScheduledBatch batch = scheduler.schedule(t0);
    // Publish the admissions before the forward call, which is where a step spends its time: the
    // gauges then show the batch that is running. Only then free their places in the queue, so
    // that snapshot().waiting() (published waiting + not yet handled submits) never counts an
    // admitted request twice and never exceeds maxQueuedRequests.
    publishSnapshot();
    if (admittedUnpublished > 0) {
      queued.addAndGet(-admittedUnpublished);
      admittedUnpublished = 0;
    }
    if (batch.preemptions() > 0 && t0 - lastPreemptionWarning >= PREEMPTION_WARNING_INTERVAL) {
      // Preemption is recompute work: say so (rate-limited) so that thrash is visible, not silent.
      lastPreemptionWarning = t0;
      LOG.log(System.Logger.Level.WARNING,
          "KV cache full: preempted {0} sequence(s) for recompute ({1} in total); more KV memory or a lower max_num_seqs would avoid it",
          batch.preemptions(), scheduler.preemptionsTotal);
    }
    if (batch.isEmpty()) return; // only after preemptions (admission is skipped in such a step); the next step admits
    List<RequestState> done = new ArrayList<>();
    float[] logits = null;
    try {
      logits = runner.run(batch);
    } catch (Throwable e) {
      if (e instanceof InternalError fatal) throw fatal;
      // Includes OutOfMemoryError: the batch that needed the memory fails, the engine goes on.
      runEachRequestAlone(batch, e, done);
    }
    if (logits != null) sampleAndDeliver(batch, logits, done);
    steps++;
    StepStats stats = stats(batch, System.nanoTime() - t0);
    for (EngineObserver o : observers) {
      try {
        o.onStep(stats);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "observer failed in onStep", e);
      }
    }
    complete(done);
  }

  /** Samples the batch's logits and streams its tokens; a failure here fails the batch's requests. */
  private void sampleAndDeliver(ScheduledBatch batch, float[] logits, List<RequestState> done) {
    try {
      List<ScheduledBatch.Entry> entries = batch.entries();
      Sample[] samples = new Sample[entries.size()];
      int row = 0;
      for (int i = 0; i < samples.length; i++) {
        if (entries.get(i).sample()) samples[i] = sampler.sample(entries.get(i).seq(), logits, row++ * vocabSize);
      }
      deliver(scheduler.postprocess(batch, samples, System.nanoTime()), done);
    } catch (Throwable e) {
      if (e instanceof InternalError fatal) throw fatal;
      failBatch(batch, e, done);
    }
  }

  /**
   * A forward call failed. One bad request (a token that trips the model, an input that runs out
   * of memory) must not take down every request that happened to share its step, so when the step
   * held several requests each is run again in a forward call of its own: the ones that succeed
   * go on exactly as if nothing happened (the model is batch-invariant, and rewriting the same KV
   * positions with the same tokens gives the same values; pages enter the prefix cache only after
   * a successful step), and only those that fail again are failed. Costs one forward per request
   * of the failed step, only when a step fails.
   */
  private void runEachRequestAlone(ScheduledBatch batch, Throwable first, List<RequestState> done) {
    java.util.Map<RequestState, List<ScheduledBatch.Entry>> byRequest = new java.util.LinkedHashMap<>();
    for (ScheduledBatch.Entry en : batch.entries()) byRequest.computeIfAbsent(en.seq().request, k -> new ArrayList<>()).add(en);
    if (byRequest.size() == 1) {
      failBatch(batch, first, done);
      return;
    }
    LOG.log(System.Logger.Level.WARNING, "step " + (steps + 1) + " failed (" + first + "); running its "
        + byRequest.size() + " requests one by one to fail only the one(s) at fault");
    for (List<ScheduledBatch.Entry> entries : byRequest.values()) {
      ScheduledBatch alone = new ScheduledBatch(entries, 0);
      float[] logits;
      try {
        logits = runner.run(alone);
      } catch (Throwable e) {
        if (e instanceof InternalError fatal) throw fatal;
        failBatch(alone, e, done);
        continue;
      }
      sampleAndDeliver(alone, logits, done);
    }
  }

  /** A failed forward (or sampling) step fails the requests in it, and only them. */
  private void failBatch(ScheduledBatch batch, Throwable e, List<RequestState> done) {
    Set<RequestState> hit = new LinkedHashSet<>();
    for (ScheduledBatch.Entry en : batch.entries()) hit.add(en.seq().request);
    LOG.log(System.Logger.Level.WARNING, "step " + (steps + 1) + " failed, failing its " + hit.size() + " request(s): " + hit, e);
    // The message reaches API clients (Choice.stopReason, the server's 500): without one of its
    // own, say what happened in words; the exception type and stack trace are in the log above.
    String message = e.getMessage() != null && !e.getMessage().isBlank() ? e.getMessage() : "internal error in the model step (see the server log)";
    for (RequestState r : hit) if (!r.isDone()) done.add(endChoices(r, FinishReason.ERROR, message));
  }

  /** Streams the step's tokens at once; requests that finished are completed after the step's stats. */
  private void deliver(List<Scheduler.Emission> emissions, List<RequestState> done) {
    for (Scheduler.Emission em : emissions) {
      RequestState r = em.request();
      // Delivered even if an abort is pending (it takes effect before the next step): the stream
      // then still adds up to the result's text.
      notify(r, em.event());
      if (em.event().isFinal() && r.isDone()) done.add(r);
    }
  }

  private void notify(RequestState r, TokenEvent e) {
    try {
      r.listener().onToken(e);
    } catch (RuntimeException ex) {
      // A listener that throws is a client that went away: stop spending steps on it.
      LOG.log(System.Logger.Level.DEBUG, "listener of " + r.id() + " threw; aborting it", ex);
      r.abort();
    }
  }

  private void end(RequestState r, FinishReason reason, String message) {
    complete(List.of(endChoices(r, reason, message)));
  }

  private RequestState endChoices(RequestState r, FinishReason reason, String message) {
    if (!r.admitted) queued.decrementAndGet();
    for (TokenEvent e : scheduler.end(r, reason, message)) notify(r, e);
    return r;
  }

  private void endAll(FinishReason reason, String message) {
    Command c;
    while ((c = inbox.poll()) != null) {
      switch (c) {
        case Command.Submit(RequestState r) -> {
          inFlight.decrementAndGet();
          scheduler.add(r);
        }
        case Command.Run(Runnable task) -> task.run();
        case Command.Abort a -> {}
        case Command.Shutdown s -> {}
      }
    }
    List<RequestState> done = new ArrayList<>();
    for (RequestState r : List.copyOf(live.values())) if (!r.isDone()) done.add(endChoices(r, reason, message));
    complete(done);
  }

  /**
   * Finishes requests: observers first, then the snapshot, then the futures, so that whoever waits
   * on a result sees counters and metrics that already include it.
   */
  private void complete(List<RequestState> done) {
    if (done.isEmpty()) {
      publishSnapshot();
      return;
    }
    long now = System.nanoTime();
    List<GenerationResult> results = new ArrayList<>(done.size());
    for (RequestState r : done) {
      GenerationResult result = r.toResult(now);
      results.add(result);
      live.remove(r.id(), r);
      requestsFinished++;
      for (EngineObserver o : observers) {
        try {
          o.onRequestFinished(result);
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "observer failed in onRequestFinished", e);
        }
      }
    }
    publishSnapshot();
    for (int i = 0; i < done.size(); i++) done.get(i).complete(results.get(i));
  }

  private StepStats stats(ScheduledBatch batch, long wallNanos) {
    List<StepEntry> entries = new ArrayList<>(batch.entries().size());
    int prefill = 0;
    int decode = 0;
    for (ScheduledBatch.Entry e : batch.entries()) {
      Sequence s = e.seq();
      entries.add(new StepEntry(s.id(), s.choiceIndex, e.kind(), e.numNew(), e.start() + e.numNew(), s.promptLen));
      if (e.kind() == StepEntry.Kind.DECODE) decode += e.numNew();
      else prefill += e.numNew();
    }
    double hitRate = scheduler.prefixQueriesTotal == 0 ? 0 : (double) scheduler.prefixHitsTotal / scheduler.prefixQueriesTotal;
    return new StepStats(
        steps, wallNanos, entries, prefill, decode, scheduler.numWaiting(), scheduler.numRunning(),
        blocks.numUsedPages(), blocks.numFreePages() - blocks.numCachedPages(), blocks.numCachedPages(),
        scheduler.preemptionsTotal, batch.preemptions(), hitRate);
  }

  private void publishSnapshot() {
    snapshot = new EngineSnapshot(
        scheduler.numRunning(), scheduler.numWaiting(), blocks.numPages(), blocks.numUsedPages(), blocks.numCachedPages(),
        blocks.numFreePages() - blocks.numCachedPages(), blocks.pageSize(), scheduler.preemptionsTotal,
        scheduler.promptTokensTotal, scheduler.generationTokensTotal, scheduler.prefixQueriesTotal,
        scheduler.prefixHitsTotal, requestsFinished, steps);
  }

  /**
   * Test hook: runs the page allocator's consistency checks on the engine thread between steps and
   * returns what they found (null = consistent). With {@code idle}, also requires that no page is
   * referenced: the leak check once every request has ended.
   */
  String checkPages(boolean idle) {
    if (!thread.isAlive()) {
      // Stopped engine: its thread's writes happen-before isAlive() returning false.
      try {
        blocks.checkInvariants(idle);
        return idle && (scheduler.hasWork() || !live.isEmpty()) ? "requests still alive: " + live.keySet() : null;
      } catch (RuntimeException e) {
        return e.getMessage();
      }
    }
    var done = new java.util.concurrent.CompletableFuture<String>();
    inbox.add(new Command.Run(() -> {
      try {
        blocks.checkInvariants(idle);
        if (idle && (scheduler.hasWork() || !live.isEmpty())) done.complete("requests still alive: " + live.keySet());
        else done.complete(null);
      } catch (RuntimeException e) {
        done.complete(e.getMessage());
      }
    }));
    try {
      return done.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      return "engine thread did not answer: " + e;
    }
  }
}
