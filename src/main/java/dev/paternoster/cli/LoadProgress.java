package dev.paternoster.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Shows progress while a large model is read. The model is memory-mapped, so "loading" is the
 * kernel reading pages on first touch, which would otherwise happen silently during the first
 * requests; reading the file once, sequentially, up front both shows a progress bar and makes the
 * first requests fast.
 */
final class LoadProgress {
  /** Smaller files load in a blink; no bar for them. */
  static final long MIN_BYTES = 64L << 20;

  private LoadProgress() {}

  static void warm(Path file, PrintStream out) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < MIN_BYTES) return;
      ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20);
      long done = 0;
      int lastPct = -1;
      long t0 = System.nanoTime();
      while (done < size) {
        buf.clear();
        int n = ch.read(buf, done);
        if (n < 0) break;
        done += n;
        int pct = (int) (done * 100 / size);
        if (pct != lastPct) {
          lastPct = pct;
          int bars = pct / 4;
          out.printf("\rloading %s [%s%s] %3d%% %.1f/%.1f GiB", file.getFileName(), "#".repeat(bars), " ".repeat(25 - bars),
              pct, done / 1073741824.0, size / 1073741824.0);
          out.flush();
        }
      }
      out.printf(" in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
  }
}
