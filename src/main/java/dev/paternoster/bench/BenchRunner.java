package dev.paternoster.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends a {@link Workload} to a {@link Target}: open loop (requests at their arrival times, each on
 * its own virtual thread, whatever the target's state) or closed loop (N clients, each sending its
 * next request when the previous one is done), and samples the target's gauges meanwhile.
 */
public final class BenchRunner {
  private final Duration sampleInterval;
  private final ProgressBar progress;

  public BenchRunner(Duration sampleInterval, ProgressBar progress) {
    this.sampleInterval = sampleInterval;
    this.progress = progress;
  }

  public RunResult run(String label, Target target, Workload workload) {
    ConcurrentLinkedQueue<RequestRecord> records = new ConcurrentLinkedQueue<>();
    List<TargetSample> samples = new ArrayList<>();
    AtomicInteger inFlight = new AtomicInteger();
    TargetSample before = target.sample();
    double[] arrivals = workload.arrivalTimes();
    int total = arrivals != null ? arrivals.length : workload.numRequests();
    progress.start(label, total, workload.durationSeconds());

    long start = System.nanoTime();
    Thread sampler = Thread.ofVirtual().name("bench-sampler").start(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        TargetSample s = target.sample();
        if (s.isKnown()) synchronized (samples) { samples.add(s); }
        progress.tick(inFlight.get());
        LockSupport.parkNanos(sampleInterval.toNanos());
      }
    });
    try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
      if (arrivals != null) {
        openLoop(target, workload, arrivals, start, clients, records, inFlight);
      } else {
        closedLoop(target, workload, start, clients, records, inFlight);
      }
      clients.shutdown();
      awaitQuietly(clients);
    } finally {
      sampler.interrupt();
      try {
        sampler.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    long end = System.nanoTime();
    progress.finish();
    TargetSample after = target.sample();
    List<RequestRecord> ordered = new ArrayList<>(records);
    ordered.sort(Comparator.comparingInt(RequestRecord::index));
    List<TargetSample> sampled;
    synchronized (samples) { sampled = List.copyOf(samples); }
    return new RunResult(label, target.describe(), new LinkedHashMap<>(target.info()), workload, ordered,
        start, end, sampled, before, after);
  }

  private void openLoop(Target target, Workload workload, double[] arrivals, long start,
      ExecutorService clients, ConcurrentLinkedQueue<RequestRecord> records, AtomicInteger inFlight) {
    Semaphore limit = workload.concurrency() > 0 ? new Semaphore(workload.concurrency()) : null;
    for (int i = 0; i < arrivals.length; i++) {
      long due = start + (long) (arrivals[i] * 1e9);
      for (long wait; (wait = due - System.nanoTime()) > 0; ) LockSupport.parkNanos(wait);
      if (limit != null) limit.acquireUninterruptibly();
      RequestSpec spec = workload.request(i, arrivals[i]);
      inFlight.incrementAndGet();
      clients.submit(() -> {
        try {
          finished(sendSafely(target, spec), records);
        } finally {
          inFlight.decrementAndGet();
          if (limit != null) limit.release();
        }
      });
    }
  }

  private void closedLoop(Target target, Workload workload, long start, ExecutorService clients,
      ConcurrentLinkedQueue<RequestRecord> records, AtomicInteger inFlight) {
    AtomicInteger next = new AtomicInteger();
    long deadline = Double.isInfinite(workload.durationSeconds()) ? Long.MAX_VALUE
        : start + (long) (workload.durationSeconds() * 1e9);
    for (int c = 0; c < workload.concurrency(); c++) {
      clients.submit(() -> {
        while (System.nanoTime() < deadline) {
          int i = next.getAndIncrement();
          if (i >= workload.numRequests()) break;
          inFlight.incrementAndGet();
          try {
            finished(sendSafely(target, workload.request(i, Double.NaN)), records);
          } finally {
            inFlight.decrementAndGet();
          }
        }
      });
    }
  }

  /** A target that throws (a bug, not a failed request) still yields a record, so no request goes missing. */
  private static RequestRecord sendSafely(Target target, RequestSpec spec) {
    try {
      return target.send(spec);
    } catch (RuntimeException e) {
      RequestRecord.Recorder r = new RequestRecord.Recorder(spec);
      return r.fail(e.toString());
    }
  }

  private void finished(RequestRecord r, ConcurrentLinkedQueue<RequestRecord> records) {
    records.add(r);
    progress.requestFinished(r);
  }

  private static void awaitQuietly(ExecutorService clients) {
    try {
      while (!clients.awaitTermination(1, TimeUnit.HOURS)) {
        // keep waiting: requests end by themselves (request timeout or completion)
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      clients.shutdownNow();
    }
  }
}
