package dev.paternoster.batch;

/**
 * Failures the batcher itself reports on a request's future (as opposed to exceptions thrown by
 * the batch function, which are passed through unchanged). Sealed so that callers, e.g. the HTTP
 * layer mapping errors to status codes, can switch over every case.
 */
public abstract sealed class BatcherException extends RuntimeException
    permits QueueFullException, BatcherClosedException, BatchResultMismatchException {

  private final String batcherName;

  BatcherException(String batcherName, String message) {
    super(message);
    this.batcherName = batcherName;
  }

  /** The name of the batcher that reported this failure. */
  public String batcherName() {
    return batcherName;
  }
}
