package dev.paternoster.batch;

import static dev.paternoster.batch.Futures.failureOf;
import static dev.paternoster.batch.Futures.resultOf;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** close(): stop accepting, drain or fail the queue, wait for running batches, leave no threads. */
class ShutdownTest {

  private final ManualClock clock = new ManualClock();
  private final RecordingFunction<String, String> function = RecordingFunction.upperCase();

  private DynamicBatcher<String, String> start(
      String name, int maxBatchSize, ThreadFactory threads) {
    DynamicBatcher.Builder<String, String> builder =
        DynamicBatcher.builder(function)
            .name(name)
            .config(
                BatcherConfig.builder()
                    .maxBatchSize(maxBatchSize)
                    .maxWait(Duration.ofHours(1))
                    .maxConcurrentBatches(1)
                    .build())
            .clock(clock);
    if (threads != null) builder.batchThreadFactory(threads);
    return builder.start();
  }

  @Test
  void closeDrainsQueuedRequestsAtOnceWithoutWaitingForMaxWait() throws Exception {
    DynamicBatcher<String, String> batcher = start("drain", 2, null);
    List<CompletableFuture<String>> futures =
        List.of("a", "b", "c").stream().map(batcher::submit).toList();

    batcher.close();

    assertThat(futures).allMatch(CompletableFuture::isDone);
    assertThat(futures.stream().map(CompletableFuture::join)).containsExactly("A", "B", "C");
    assertThat(function.calls()).containsExactly(List.of("a", "b"), List.of("c"));
    assertThat(clock.elapsed()).isZero();
  }

  @Test
  void closeWithFailPendingFailsQueuedRequestsButLetsTheRunningBatchFinish() throws Exception {
    DynamicBatcher<String, String> batcher = start("fail-pending", 1, null);
    function.closeGate();
    CompletableFuture<String> running = batcher.submit("running");
    function.awaitCallsStarted(1);
    CompletableFuture<String> queued = batcher.submit("queued");

    Thread closer = Thread.ofPlatform().start(() -> batcher.close(ShutdownMode.FAIL_PENDING));

    assertThat(failureOf(queued))
        .isInstanceOf(BatcherClosedException.class)
        .hasMessageContaining("fail-pending")
        .hasMessageContaining("before this request was dispatched");
    assertThat(running).isNotDone();
    function.openGate();
    assertThat(resultOf(running)).isEqualTo("RUNNING");
    closer.join(10_000);
    assertThat(closer.isAlive()).as("close returned").isFalse();
    assertThat(function.calls()).containsExactly(List.of("running"));
    BatcherStats stats = batcher.stats();
    assertThat(stats.completed()).isEqualTo(1);
    assertThat(stats.failed()).isEqualTo(1);
  }

  @Test
  void submitAfterCloseFailsWithAClearException() throws Exception {
    DynamicBatcher<String, String> batcher = start("closed", 4, null);
    batcher.close();

    CompletableFuture<String> late = batcher.submit("late");

    assertThat(batcher.isClosed()).isTrue();
    assertThat(late).isCompletedExceptionally();
    assertThat(failureOf(late))
        .isInstanceOf(BatcherClosedException.class)
        .hasMessage("batcher 'closed' is closed and accepts no more requests");
    assertThat(batcher.stats().rejectedClosed()).isEqualTo(1);
  }

  @Test
  void closeLeavesNoThreadBehind() throws Exception {
    List<Thread> batchThreads = new CopyOnWriteArrayList<>();
    ThreadFactory tracking = task -> {
      Thread thread = Thread.ofVirtual().unstarted(task);
      batchThreads.add(thread);
      return thread;
    };
    DynamicBatcher<String, String> batcher = start("leak-check", 2, tracking);
    for (String input : List.of("a", "b", "c", "d", "e")) batcher.submit(input);
    assertThat(dispatcherThreads("leak-check")).hasSize(1);

    batcher.close();

    // One to three threads: a batch thread that finds the next batch ready runs it too. close()
    // returns once their tasks are done; each thread is then ending and must terminate.
    assertThat(batchThreads).isNotEmpty();
    for (Thread thread : batchThreads) {
      assertThat(thread.join(Duration.ofSeconds(10))).as("%s terminated", thread).isTrue();
    }
    assertThat(dispatcherThreads("leak-check")).isEmpty();
    assertThat(clock.wakeUpListenerCount()).as("clock listener removed").isZero();
  }

  @Test
  void closeIsIdempotentAndALaterFailPendingIsHarmless() {
    DynamicBatcher<String, String> batcher = start("twice", 4, null);
    CompletableFuture<String> a = batcher.submit("a");

    batcher.close();
    batcher.close();
    batcher.close(ShutdownMode.FAIL_PENDING);

    assertThat(a.join()).isEqualTo("A");
  }

  @Test
  void closeCalledFromInsideTheBatchFunctionDoesNotDeadlockAndStillDrains() throws Exception {
    AtomicReference<DynamicBatcher<String, String>> self = new AtomicReference<>();
    CountDownLatch closeNow = new CountDownLatch(1);
    DynamicBatcher<String, String> batcher =
        DynamicBatcher.<String, String>builder(inputs -> {
              if (inputs.contains("closer")) {
                closeNow.await();
                self.get().close();
              }
              return inputs.stream().map(String::toUpperCase).toList();
            })
            .config(
                BatcherConfig.builder()
                    .maxBatchSize(2)
                    .maxWait(Duration.ofHours(1))
                    .maxConcurrentBatches(2)
                    .build())
            .clock(clock)
            .start();
    self.set(batcher);

    CompletableFuture<String> closer = batcher.submit("closer");
    batcher.submit("other");
    CompletableFuture<String> queued = batcher.submit("queued"); // half a batch: waits an hour
    closeNow.countDown();

    assertThat(resultOf(closer)).isEqualTo("CLOSER");
    assertThat(resultOf(queued)).as("drained by close").isEqualTo("QUEUED");
    assertThat(batcher.isClosed()).isTrue();
    batcher.close();
  }

  private static List<Thread> dispatcherThreads(String batcherName) {
    String name = "paternoster-batcher-" + batcherName + "-dispatcher";
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().equals(name))
        .toList();
  }
}
