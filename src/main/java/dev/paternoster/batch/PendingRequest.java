package dev.paternoster.batch;

import java.util.concurrent.CompletableFuture;

/**
 * One submitted request: its input, when it arrived, and the future handed to the caller.
 * Identity-based equality on purpose: the queue must tell apart two submits of equal inputs.
 */
final class PendingRequest<I, O> {

  private final I input;
  private final long arrivalNanos;
  private final CompletableFuture<O> future = new CompletableFuture<>();

  /**
   * True while the request sits in the batcher's queue. Written under the batcher's lock; read
   * without it by the future's completion callback, so that completing a dispatched request does
   * not have to take the lock just to find out there is nothing to withdraw.
   */
  private volatile boolean queued = true;

  PendingRequest(I input, long arrivalNanos) {
    this.input = input;
    this.arrivalNanos = arrivalNanos;
  }

  I input() {
    return input;
  }

  long arrivalNanos() {
    return arrivalNanos;
  }

  CompletableFuture<O> future() {
    return future;
  }

  boolean isQueued() {
    return queued;
  }

  void markDequeued() {
    queued = false;
  }
}
