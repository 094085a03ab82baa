package dev.paternoster.batch;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting on futures in tests, with a generous timeout that only guards against hangs. */
final class Futures {
  private static final long SAFETY_TIMEOUT_SECONDS = 10;

  private Futures() {}

  static <T> T resultOf(CompletableFuture<T> future) throws Exception {
    return future.get(SAFETY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /** The exception the future failed with (unwrapped), failing the test if it succeeded. */
  static Throwable failureOf(CompletableFuture<?> future) throws Exception {
    try {
      Object value = future.get(SAFETY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure but got " + value);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      throw new AssertionError("future never completed", e);
    }
  }
}
