package dev.paternoster.model;

import dev.paternoster.tensor.LibM;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Large zero-filled off-heap buffers that cost nothing until they are touched.
 *
 * <p>{@code Arena.allocate} writes zeros over every byte it returns: for a KV cache of ten
 * gigabytes that is some twenty seconds of start-up and the whole size resident at once. The C
 * library's {@code calloc} hands large requests to the kernel as fresh anonymous pages, which read
 * as zeros and become resident only when first written, page by page, as sequences fill them.
 * Where {@code calloc} cannot be reached, the arena's own (eager) allocation is used instead.
 */
final class ZeroedMemory {
  private ZeroedMemory() {}

  private static final long ALIGNMENT = 64;
  private static final MethodHandle CALLOC = LibM.find("calloc",
      FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
  private static final MethodHandle FREE = LibM.find("free", FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

  /**
   * {@code bytes} zero bytes, 64-byte aligned, freed when {@code arena} closes.
   *
   * @throws OutOfMemoryError naming the size when the memory cannot be had
   */
  static MemorySegment allocate(long bytes, Arena arena) {
    if (CALLOC == null || FREE == null) return arena.allocate(bytes, ALIGNMENT);
    MemorySegment base;
    try {
      base = (MemorySegment) CALLOC.invokeExact(1L, bytes + ALIGNMENT);
    } catch (Throwable t) {
      throw new IllegalStateException("calloc failed", t);
    }
    if (base.equals(MemorySegment.NULL)) {
      throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of off-heap memory");
    }
    MemorySegment owned = base.reinterpret(bytes + ALIGNMENT, arena, s -> {
      try {
        FREE.invokeExact(s);
      } catch (Throwable t) {
        throw new IllegalStateException("free failed", t);
      }
    });
    long skip = (ALIGNMENT - owned.address() % ALIGNMENT) % ALIGNMENT;
    return owned.asSlice(skip, bytes);
  }
}
