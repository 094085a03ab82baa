package dev.paternoster.batch;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs one dispatched batch: calls the batch function and settles each request's future. Every
 * future of the batch is settled exactly once, whatever the function does, and each request is
 * counted once in the metrics under the outcome that actually reached its caller.
 */
final class BatchRunner<I, O> {

  private final String batcherName;
  private final BatchFunction<I, O> function;
  private final BatcherClock clock;
  private final BatcherMetrics metrics;

  BatchRunner(
      String batcherName,
      BatchFunction<I, O> function,
      BatcherClock clock,
      BatcherMetrics metrics) {
    this.batcherName = batcherName;
    this.function = function;
    this.clock = clock;
    this.metrics = metrics;
  }

  void run(Batch<I, O> batch) {
    // A request cancelled between dispatch and now is dropped here, so the function never sees
    // it and it does not count toward the batch size.
    List<PendingRequest<I, O>> live = new ArrayList<>(batch.requests().size());
    for (PendingRequest<I, O> request : batch.requests()) {
      if (request.future().isDone()) {
        metrics.requestCancelled();
      } else {
        live.add(request);
        metrics.queueWaited(batch.dispatchedAtNanos() - request.arrivalNanos());
      }
    }
    if (live.isEmpty()) {
      return;
    }
    List<I> inputs = live.stream().map(PendingRequest::input).toList();

    long start = clock.nanoTime();
    List<O> results;
    try {
      results = function.apply(inputs);
    } catch (Throwable failure) {
      metrics.batchFinished(live.size(), clock.nanoTime() - start, false);
      failAll(live, failure);
      if (failure instanceof VirtualMachineError fatal) {
        throw fatal; // the futures are settled; let the JVM see its own trouble
      }
      return;
    }
    long latency = clock.nanoTime() - start;

    if (results == null || results.size() != live.size()) {
      metrics.batchFinished(live.size(), latency, false);
      failAll(
          live,
          new BatchResultMismatchException(
              batcherName, live.size(), results == null ? -1 : results.size()));
      return;
    }
    metrics.batchFinished(live.size(), latency, true);
    for (int i = 0; i < live.size(); i++) {
      if (live.get(i).future().complete(results.get(i))) {
        metrics.requestCompleted();
      } else {
        metrics.requestCancelled(); // the caller gave up while the function was running
      }
    }
  }

  /** Fails requests that the batcher owns (no longer queued); counts each by who won the race. */
  void failAll(List<PendingRequest<I, O>> requests, Throwable failure) {
    for (PendingRequest<I, O> request : requests) {
      if (request.future().completeExceptionally(failure)) {
        metrics.requestFailed();
      } else {
        metrics.requestCancelled();
      }
    }
  }
}
