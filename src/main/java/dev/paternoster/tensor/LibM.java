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
 * back to correctly rounded Java values.
 */
public final class LibM {
  private LibM() {}

  private static final MethodHandle COSF, SINF, EXPF, POWF;

  static {
    MethodHandle c = null, s = null, e = null, p = null;
    try {
      Linker linker = Linker.nativeLinker();
      var lookup = linker.defaultLookup();
      FunctionDescriptor f1 = FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT);
      FunctionDescriptor f2 = FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT);
      c = linker.downcallHandle(lookup.find("cosf").orElseThrow(), f1);
      s = linker.downcallHandle(lookup.find("sinf").orElseThrow(), f1);
      // critical: a leaf function that never calls back, called per attention position
      e = linker.downcallHandle(lookup.find("expf").orElseThrow(), f1, Linker.Option.critical(false));
      p = linker.downcallHandle(lookup.find("powf").orElseThrow(), f2);
    } catch (Throwable t) {
      c = s = e = p = null;
    }
    COSF = c;
    SINF = s;
    EXPF = e;
    POWF = p;
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
