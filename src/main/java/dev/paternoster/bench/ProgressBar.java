package dev.paternoster.bench;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of a run on stderr: a bar redrawn in place on a terminal, or a plain line every ten
 * seconds when output goes to a file or CI log (where carriage returns would make a mess).
 */
public final class ProgressBar {
  private static final long LINE_INTERVAL_NANOS = 10_000_000_000L;
  private static final int WIDTH = 30;

  private final PrintStream out;
  private final boolean terminal;
  private final AtomicInteger finished = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicLong outputTokens = new AtomicLong();
  private String label = "";
  private int total;
  private double durationSeconds;
  private long startNanos;
  private long lastLineNanos;

  /** @param out null = silent */
  public ProgressBar(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /** On stderr, as a bar when stderr is a terminal. */
  public static ProgressBar stderr() {
    var console = System.console();
    return new ProgressBar(System.err, console != null && console.isTerminal());
  }

  public static ProgressBar silent() {
    return new ProgressBar(null, false);
  }

  /** Starts a run of {@code total} requests ({@link Integer#MAX_VALUE} = bounded by duration). */
  public synchronized void start(String label, int total, double durationSeconds) {
    this.label = label;
    this.total = total;
    this.durationSeconds = durationSeconds;
    this.startNanos = System.nanoTime();
    this.lastLineNanos = startNanos;
    finished.set(0);
    failed.set(0);
    outputTokens.set(0);
  }

  public void requestFinished(RequestRecord r) {
    finished.incrementAndGet();
    if (!r.succeeded()) failed.incrementAndGet();
    outputTokens.addAndGet(r.outputTokens());
  }

  /** Redraws (terminal) or prints a line if ten seconds passed (otherwise); called periodically. */
  public synchronized void tick(int inFlight) {
    if (out == null) return;
    long now = System.nanoTime();
    if (!terminal && now - lastLineNanos < LINE_INTERVAL_NANOS) return;
    lastLineNanos = now;
    String status = status(now, inFlight);
    if (terminal) {
      out.print("\r" + status + "\033[K");
    } else {
      out.println(status);
    }
    out.flush();
  }

  /** Ends the bar's line. */
  public synchronized void finish() {
    if (out == null) return;
    if (terminal) {
      out.print("\r" + status(System.nanoTime(), 0) + "\033[K\n");
    } else {
      out.println(status(System.nanoTime(), 0));
    }
    out.flush();
  }

  String status(long now, int inFlight) {
    double elapsed = (now - startNanos) / 1e9;
    int done = finished.get();
    double fraction = total != Integer.MAX_VALUE ? (double) done / Math.max(1, total)
        : Math.min(1, elapsed / durationSeconds);
    if (total != Integer.MAX_VALUE && !Double.isInfinite(durationSeconds)) {
      fraction = Math.max(fraction, Math.min(1, elapsed / durationSeconds));
    }
    int filled = (int) Math.round(fraction * WIDTH);
    String bar = terminal ? "[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " : "";
    String count = total != Integer.MAX_VALUE ? done + "/" + total : done + "";
    return String.format(Locale.ROOT, "bench %s %s%s requests, %d in flight, %d failed, %.1f s, %.1f tok/s",
        label, bar, count, inFlight, failed.get(), elapsed, elapsed > 0 ? outputTokens.get() / elapsed : 0.0);
  }
}
