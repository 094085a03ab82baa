package dev.paternoster.batch;

/**
 * The batch function broke its contract by returning a result list whose size differs from the
 * number of inputs (or no list at all), so results cannot be matched to requests. The whole batch
 * fails with this exception.
 */
public final class BatchResultMismatchException extends BatcherException {

  private final int inputs;
  private final int results;

  /**
   * @param results the size of the returned list, or -1 when the function returned {@code null}
   */
  public BatchResultMismatchException(String batcherName, int inputs, int results) {
    super(
        batcherName,
        "batch function of batcher '" + batcherName + "' returned "
            + (results < 0 ? "null" : results + " results")
            + " for " + inputs + " inputs; it must return exactly one result per input, in order");
    this.inputs = inputs;
    this.results = results;
  }

  /** Number of inputs passed to the batch function. */
  public int inputs() {
    return inputs;
  }

  /** Size of the list it returned, or -1 for {@code null}. */
  public int results() {
    return results;
  }
}
