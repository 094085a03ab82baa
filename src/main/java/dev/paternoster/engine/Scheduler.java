package dev.paternoster.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * Iteration-level scheduling: decides, every step, which tokens of which sequences go into the one
 * forward call, and keeps the waiting/running sets and the KV pages consistent.
 *
 * <p>Each step has a token budget ({@code maxNumBatchedTokens}) and a sequence cap ({@code
 * maxNumSeqs}). Running sequences first get their next decode token, then running sequences with
 * prompt left get a chunk, then waiting sequences are admitted, head of the queue first, while the
 * KV cache can hold their first chunk. A long prompt is thus split over steps (chunked prefill) and
 * never holds up anyone's decoding.
 *
 * <p>When a running sequence needs a page and none is free, a victim is preempted by recompute: its
 * pages are freed, its computed count reset, and it goes to the front of the waiting queue (with
 * prefix caching its pages often come back as hits). Admission is skipped in a step that preempted,
 * so the cache is not refilled with new work while old work is being evicted.
 *
 * <p>Single-threaded: only the engine thread calls it.
 */
final class Scheduler {
  private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());

  /** One sampled token's event for the engine to deliver. */
  record Emission(RequestState request, TokenEvent event) {}

  private final BlockManager blocks;
  private final int maxNumSeqs;
  private final int maxBatchTokens;
  private final EngineConfig.Mode mode;
  private final int maxBatchSize;
  private final boolean prefixCaching;
  private final EngineConfig.Policy policy;
  private final Comparator<Sequence> priorityOrder;
  private final Consumer<RequestState> onFirstAdmission;

  /** Admitted sequences in admission order (so under FCFS the last one is the newest). */
  private final List<Sequence> running = new ArrayList<>();

  private final WaitingQueue waiting;
  /** STATIC mode: the current batch's sequences not yet admitted (or preempted); nobody else gets in. */
  private final WaitingQueue.Fcfs cohort = new WaitingQueue.Fcfs();

  private long step;
  private long admitCounter;
  long preemptionsTotal;
  long promptTokensTotal;
  long generationTokensTotal;
  long prefixQueriesTotal;
  long prefixHitsTotal;

  Scheduler(BlockManager blocks, EngineConfig config, int maxNumSeqs, int maxBatchTokens, Consumer<RequestState> onFirstAdmission) {
    this.blocks = blocks;
    this.maxNumSeqs = maxNumSeqs;
    this.maxBatchTokens = maxBatchTokens;
    this.mode = config.mode();
    this.maxBatchSize = config.maxBatchSize();
    this.prefixCaching = config.enablePrefixCaching();
    this.policy = config.policy();
    this.priorityOrder = WaitingQueue.Priority.order(config.priorityAgingSteps());
    this.waiting = WaitingQueue.of(config.policy(), config.priorityAgingSteps());
    this.onFirstAdmission = onFirstAdmission;
  }

  long step() {
    return step;
  }

  /** Queues a new request (its first choice; n > 1 siblings follow once the prompt is computed). */
  void add(RequestState r) {
    waiting.add(r.sequences[0]);
  }

  boolean hasWork() {
    return !running.isEmpty() || !waiting.isEmpty() || !cohort.isEmpty();
  }

  /** Nothing is being computed: the moment when holding arrivals for {@code maxWait} can pay off. */
  boolean isIdle() {
    return running.isEmpty() && cohort.isEmpty();
  }

  int numRunning() {
    return running.size();
  }

  int numWaiting() {
    return waiting.size() + cohort.size();
  }

  /**
   * Whether holding the waiting work for a fuller batch is pointless: it would already fill one, or
   * it includes preempted (or n > 1 sibling) sequences, which have waited enough.
   */
  boolean batchFull() {
    for (Sequence s : cohort) if (s.request.admitted) return true;
    for (Sequence s : waiting) if (s.request.admitted) return true;
    if (mode == EngineConfig.Mode.STATIC) return waiting.size() >= maxBatchSize;
    if (waiting.size() >= maxNumSeqs) return true;
    long tokens = 0;
    for (Sequence s : waiting) tokens += s.numUncomputed();
    return tokens >= maxBatchTokens;
  }

  /** Arrival time of the longest-waiting sequence ({@link Long#MAX_VALUE} if none). */
  long oldestWaitingArrival() {
    long t = Long.MAX_VALUE;
    for (Sequence s : waiting) t = Math.min(t, s.request.arrivalNanos);
    for (Sequence s : cohort) t = Math.min(t, s.request.arrivalNanos);
    return t;
  }

  /** Builds the next step's batch, allocating KV pages for it and preempting if they run out. */
  ScheduledBatch schedule(long now) {
    step++;
    if (mode == EngineConfig.Mode.STATIC && running.isEmpty() && cohort.isEmpty()) formCohort();
    List<ScheduledBatch.Entry> entries = new ArrayList<>();
    int budget = maxBatchTokens;
    int preemptions = 0;

    // Pass 0: one decode token per running sequence. Pass 1: prompt chunks of running sequences.
    List<Sequence> order = List.copyOf(running);
    for (int pass = 0; pass < 2; pass++) {
      for (Sequence s : order) {
        if (budget == 0) break;
        if (s.status != Sequence.Status.RUNNING || s.isDecoding() != (pass == 0) || isScheduled(s, entries)) continue;
        int numNew = Math.min(s.numUncomputed(), budget);
        while (!blocks.canAppend(s, numNew)) {
          Sequence victim = victim();
          budget += unschedule(victim, entries);
          preempt(victim);
          preemptions++;
          if (victim == s) break;
        }
        if (s.status != Sequence.Status.RUNNING) continue;
        blocks.mayAppend(s, numNew);
        entries.add(entry(s, numNew));
        budget -= numNew;
      }
    }

    WaitingQueue queue = admissionQueue();
    while (preemptions == 0 && budget > 0 && running.size() < maxNumSeqs && !queue.isEmpty()) {
      Sequence s = queue.peek();
      BlockManager.PrefixHit hit = prefixCaching ? blocks.lookup(s) : BlockManager.PrefixHit.NONE;
      int cached = hit.tokens(blocks.pageSize());
      int numNew = Math.min(s.numTokens - cached, budget);
      // Strict head of line: if the head does not fit, nobody behind it may overtake it.
      if (!blocks.canAllocate(hit, cached + numNew)) break;
      queue.poll();
      blocks.allocate(s, hit, cached + numNew);
      s.numComputed = cached;
      s.status = Sequence.Status.RUNNING;
      s.admitOrder = ++admitCounter;
      running.add(s);
      if (prefixCaching) {
        prefixQueriesTotal += s.numTokens;
        prefixHitsTotal += cached;
      }
      RequestState r = s.request;
      if (!r.admitted) {
        r.admitted = true;
        r.firstScheduledNanos = now;
        r.prefixCachedTokens = cached;
        promptTokensTotal += s.promptLen;
        onFirstAdmission.accept(r);
      }
      entries.add(entry(s, numNew));
      budget -= numNew;
    }
    return new ScheduledBatch(List.copyOf(entries), preemptions);
  }

  private WaitingQueue admissionQueue() {
    return mode == EngineConfig.Mode.STATIC ? cohort : waiting;
  }

  /** STATIC mode: the next batch is the head of the waiting queue, up to maxBatchSize requests. */
  private void formCohort() {
    while (cohort.size() < maxBatchSize && !waiting.isEmpty()) cohort.add(waiting.poll());
  }

  private static ScheduledBatch.Entry entry(Sequence s, int numNew) {
    boolean decode = numNew == 1 && s.numComputed >= s.promptLen;
    return new ScheduledBatch.Entry(
        s, s.numComputed, numNew, s.numComputed + numNew == s.numTokens, decode ? StepEntry.Kind.DECODE : StepEntry.Kind.PREFILL);
  }

  private static boolean isScheduled(Sequence s, List<ScheduledBatch.Entry> entries) {
    for (ScheduledBatch.Entry e : entries) if (e.seq() == s) return true;
    return false;
  }

  /** Removes {@code s} from this step's batch if it was in it; returns the budget it gave back. */
  private static int unschedule(Sequence s, List<ScheduledBatch.Entry> entries) {
    for (int i = 0; i < entries.size(); i++) {
      if (entries.get(i).seq() == s) return entries.remove(i).numNew();
    }
    return 0;
  }

  /**
   * FCFS: the most recently admitted. PRIORITY: the lowest priority (highest aged value), latest
   * arrival. Either way the oldest / most important sequence keeps making progress.
   */
  private Sequence victim() {
    if (policy == EngineConfig.Policy.FCFS) return running.getLast();
    Sequence worst = running.getFirst();
    for (Sequence s : running) {
      int c = priorityOrder.compare(s, worst);
      if (c > 0 || (c == 0 && s.admitOrder > worst.admitOrder)) worst = s;
    }
    return worst;
  }

  /** Preemption by recompute: free everything, start over later from the front of the queue. */
  void preempt(Sequence s) {
    blocks.deallocate(s);
    running.remove(s);
    s.numComputed = 0;
    s.status = Sequence.Status.WAITING;
    admissionQueue().addFront(s);
    preemptionsTotal++;
    LOG.log(System.Logger.Level.DEBUG, () -> "preempted " + s + " (KV cache full), " + preemptionsTotal + " so far");
  }

  /**
   * Applies a computed step: advances computed counts, registers newly full pages in the prefix
   * cache, appends sampled tokens and finishes sequences that hit a stop condition (freeing their
   * pages).
   *
   * @param samples parallel to the batch entries; null where nothing was sampled
   */
  List<Emission> postprocess(ScheduledBatch batch, Sample[] samples, long now) {
    List<Emission> out = new ArrayList<>(batch.entries().size());
    List<ScheduledBatch.Entry> entries = batch.entries();
    for (int i = 0; i < entries.size(); i++) {
      ScheduledBatch.Entry e = entries.get(i);
      Sequence s = e.seq();
      if (s.status != Sequence.Status.RUNNING) continue;
      s.numComputed = e.start() + e.numNew();
      if (prefixCaching) blocks.cacheFullPages(s);
      if (!e.sample()) continue;
      RequestState r = s.request;
      if (s.choiceIndex == 0 && !r.siblingsReleased) releaseSiblings(r);
      Sample sample = samples[i];
      s.append(sample.token());
      generationTokensTotal++;
      TokenEvent event = s.output.onToken(sample, s.numOutput(), now);
      if (event.isFinal()) finish(s);
      out.add(new Emission(r, event));
    }
    return out;
  }

  /**
   * n > 1: choice 0 has computed the prompt, so its full pages are in the prefix cache; the other
   * choices now queue at the front and share those pages by reference count instead of recomputing.
   */
  private void releaseSiblings(RequestState r) {
    r.siblingsReleased = true;
    WaitingQueue queue = admissionQueue();
    for (int i = r.sequences.length - 1; i >= 1; i--) queue.addFront(r.sequences[i]);
  }

  private void finish(Sequence s) {
    blocks.deallocate(s);
    running.remove(s);
    s.status = Sequence.Status.FINISHED;
    s.request.onSequenceFinished();
  }

  /** Ends every unfinished choice of {@code r} (abort, error, shutdown); returns their final events. */
  List<TokenEvent> end(RequestState r, FinishReason reason, String message) {
    List<TokenEvent> events = new ArrayList<>();
    for (Sequence s : r.sequences) {
      if (s.isFinished()) continue;
      if (s.status == Sequence.Status.RUNNING) {
        blocks.deallocate(s);
        running.remove(s);
      } else if (!waiting.remove(s)) {
        cohort.remove(s);
      }
      s.status = Sequence.Status.FINISHED;
      r.onSequenceFinished();
      events.add(s.output.end(reason, message));
    }
    return events;
  }
}
