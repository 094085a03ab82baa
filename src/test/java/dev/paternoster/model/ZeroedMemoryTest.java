package dev.paternoster.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ZeroedMemoryTest {
  @Test
  void segmentsAreZeroAlignedWritableAndGoWithTheirArena() {
    MemorySegment s;
    try (Arena arena = Arena.ofShared()) {
      s = ZeroedMemory.allocate(100_003, arena);
      assertThat(s.byteSize()).isEqualTo(100_003);
      assertThat(s.address() % 64).isZero();
      for (long i = 0; i < s.byteSize(); i += 997) assertThat(s.get(ValueLayout.JAVA_BYTE, i)).isZero();
      s.set(ValueLayout.JAVA_BYTE, 100_002, (byte) 7);
      assertThat(s.get(ValueLayout.JAVA_BYTE, 100_002)).isEqualTo((byte) 7);
    }
    MemorySegment closed = s;
    assertThatThrownBy(() -> closed.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aLargeCacheIsNotResidentUntilWritten() throws IOException {
    Path status = Path.of("/proc/self/status");
    assumeTrue(Files.isReadable(status), "needs Linux's /proc");
    long gib = 1L << 30;
    long before = residentBytes(status);
    try (Arena arena = Arena.ofShared()) {
      MemorySegment s = ZeroedMemory.allocate(4 * gib, arena);
      s.set(ValueLayout.JAVA_LONG, 2 * gib, 42L); // one page touched
      long grown = residentBytes(status) - before;
      assertThat(grown).as("resident growth after allocating 4 GiB").isLessThan(gib / 4);
      assertThat(s.get(ValueLayout.JAVA_LONG, 2 * gib)).isEqualTo(42L);
      assertThat(s.get(ValueLayout.JAVA_LONG, 3 * gib)).isZero();
    }
  }

  private static long residentBytes(Path status) throws IOException {
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
    }
    throw new IllegalStateException("no VmRSS in " + status);
  }
}
