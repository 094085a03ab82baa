package dev.paternoster.tensor;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The C library's single-precision {@code cosf}, {@code sinf}, {@code expf} and {@code powf}, which
 * llama.cpp calls for RoPE tables and scalar tails. glibc's versions are not always correctly
 * rounded (about 1% of RoPE angles differ by one ulp from {@code (float) Math.cos(x)}), so the
 * reference path calls the same functions; when the native library cannot be reached it falls
 * back to correctly rounded Java values. {@link #find} looks up any other C library function the
 * same way (the KV cache's {@code calloc}).
 */
public final class LibM {
  private LibM() {}

  private static final FunctionDescriptor F1 = FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT);
  private static final FunctionDescriptor F2 = FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT);

  private static final MethodHandle COSF = find("cosf", F1), SINF = find("sinf", F1), POWF = find("powf", F2);
  // critical: a leaf function that never calls back, called per attention position
  private static final MethodHandle EXPF = find("expf", F1, Linker.Option.critical(false));

  /**
   * The C library's function {@code name} as a method handle, or null when it cannot be reached
   * (no such symbol in the default lookup, or native access denied): callers fall back to Java.
   */
  public static MethodHandle find(String name, FunctionDescriptor descriptor, Linker.Option... options) {
    try {
      Linker linker = Linker.nativeLinker();
      return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), descriptor, options);
    } catch (Throwable t) {
      return null;
    }
  }

  public static float cosf(float x) {
    if (COSF != null) {
      try {
        return (float) COSF.invokeExact(x);
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }
    return (float) Math.cos(x);
  }

  public static float sinf(float x) {
    if (SINF != null) {
      try {
        return (float) SINF.invokeExact(x);
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }
    return (float) Math.sin(x);
  }

  public static float expf(float x) {
    if (EXPF != null) {
      try {
        return (float) EXPF.invokeExact(x);
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }
    return (float) Math.exp(x);
  }

  public static float powf(float x, float y) {
    if (POWF != null) {
      try {
        return (float) POWF.invokeExact(x, y);
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }
    return (float) Math.pow(x, y);
  }
}
