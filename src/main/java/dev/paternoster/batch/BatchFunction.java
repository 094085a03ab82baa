package dev.paternoster.batch;

import java.util.List;

/**
 * The work a {@link DynamicBatcher} batches: one call handles many requests at once, e.g. an
 * embedding model's forward pass over a padded batch.
 *
 * <p>The returned list must have exactly one result per input, in the same order; the batcher
 * fails the whole batch with {@link BatchResultMismatchException} otherwise. A thrown exception
 * fails exactly the requests of this batch; the batcher keeps serving later ones.
 *
 * @param <I> request type
 * @param <O> result type
 */
@FunctionalInterface
public interface BatchFunction<I, O> {

  /**
   * Computes the results of one batch.
   *
   * @param inputs the batch, in arrival order; unmodifiable, never empty, no nulls
   * @return one result per input, in the same order
   */
  List<O> apply(List<I> inputs) throws Exception;
}
