package dev.paternoster.engine;

import dev.paternoster.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One submitted request and its {@code n} sequences; also the handle given to the caller.
 *
 * <p>Fields other than the abort flag and the future belong to the engine thread.
 */
final class RequestState implements RequestHandle {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  /** Seeds requests that bring no seed of their own. */
  private static final SplittableRandom UNSEEDED = new SplittableRandom();

  private final GenerationRequest request;
  private final TokenListener listener;
  private final Consumer<RequestState> abortSink;
  private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
  private final AtomicBoolean abortRequested = new AtomicBoolean();

  final long arrivalNanos;
  /** Submission order: the FCFS position and the tie-breaker everywhere. */
  final long arrivalOrder;
  /** Engine step at arrival; with the priority it gives the aged PRIORITY key. */
  final long arrivalStep;

  /** {@code logit_bias} as arrays, built once here: the sampler adds them to every token's logits. */
  final int[] biasIds;
  final float[] biasValues;

  final Sequence[] sequences;
  /** n > 1: the other choices are queued once choice 0 has computed the prompt (then they hit its pages). */
  boolean siblingsReleased;
  boolean admitted;
  long firstScheduledNanos;
  int prefixCachedTokens = -1;
  private int numFinished;

  RequestState(
      GenerationRequest request,
      TokenListener listener,
      Tokenizer tokenizer,
      int pageSize,
      long arrivalNanos,
      long arrivalOrder,
      long arrivalStep,
      Consumer<RequestState> abortSink) {
    this.request = request;
    this.listener = listener == null ? TokenListener.NONE : listener;
    this.abortSink = abortSink;
    this.arrivalNanos = arrivalNanos;
    this.arrivalOrder = arrivalOrder;
    this.arrivalStep = arrivalStep;
    SamplingParams p = request.params();
    biasIds = new int[p.logitBias().size()];
    biasValues = new float[biasIds.length];
    int b = 0;
    for (Map.Entry<Integer, Float> e : p.logitBias().entrySet()) {
      biasIds[b] = e.getKey();
      biasValues[b++] = e.getValue();
    }
    long base = p.seed() != null ? p.seed() : unseededSeed();
    sequences = new Sequence[p.n()];
    for (int i = 0; i < sequences.length; i++) {
      // Choice i's stream depends only on (seed, i): never on batch neighbours or scheduling.
      SplittableRandom rng = new SplittableRandom(base ^ (GOLDEN * i));
      sequences[i] = new Sequence(this, i, pageSize, rng, new ChoiceOutput(i, tokenizer, p));
    }
  }

  private static long unseededSeed() {
    synchronized (UNSEEDED) {
      return UNSEEDED.nextLong();
    }
  }

  GenerationRequest request() {
    return request;
  }

  SamplingParams params() {
    return request.params();
  }

  TokenListener listener() {
    return listener;
  }

  int priority() {
    return request.priority();
  }

  @Override
  public String id() {
    return request.requestId();
  }

  @Override
  public CompletableFuture<GenerationResult> result() {
    return result;
  }

  @Override
  public void abort() {
    if (!result.isDone() && abortRequested.compareAndSet(false, true)) abortSink.accept(this);
  }

  boolean abortRequested() {
    return abortRequested.get();
  }

  /** Marks one choice finished; true when it was the last. */
  boolean onSequenceFinished() {
    return ++numFinished == sequences.length;
  }

  boolean isDone() {
    return numFinished == sequences.length;
  }

  GenerationResult toResult(long now) {
    List<Choice> choices = new ArrayList<>(sequences.length);
    int completion = 0;
    long firstToken = Long.MAX_VALUE;
    long gaps = 0;
    long gapNanos = 0;
    for (Sequence s : sequences) {
      int[] out = Arrays.copyOfRange(s.tokens, s.promptLen, s.numTokens);
      completion += out.length;
      choices.add(s.output.toChoice(out));
      ChoiceOutput o = s.output;
      if (o.firstTokenNanos != 0) {
        firstToken = Math.min(firstToken, o.firstTokenNanos);
        if (out.length > 1) {
          gaps += out.length - 1;
          gapNanos += o.lastTokenNanos - o.firstTokenNanos;
        }
      }
    }
    double queue = firstScheduledNanos == 0 ? seconds(now - arrivalNanos) : seconds(firstScheduledNanos - arrivalNanos);
    double ttft = firstToken == Long.MAX_VALUE ? Double.NaN : seconds(firstToken - arrivalNanos);
    double itl = gaps == 0 ? Double.NaN : seconds(gapNanos) / gaps;
    RequestTimings timings =
        new RequestTimings(arrivalNanos, queue, ttft, seconds(now - arrivalNanos), itl, Math.max(0, prefixCachedTokens));
    return new GenerationResult(id(), request.promptIds().length, choices, completion, timings);
  }

  void complete(GenerationResult r) {
    result.complete(r);
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  @Override
  public String toString() {
    return id();
  }
}
