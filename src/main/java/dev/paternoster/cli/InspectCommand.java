package dev.paternoster.cli;

import dev.paternoster.gguf.GGUFFile;
import dev.paternoster.gguf.TensorInfo;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code paternoster inspect FILE}: metadata and tensor table of a GGUF file. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Print a GGUF file's metadata and tensor table.")
public final class InspectCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "FILE", description = "GGUF file")
  Path path;

  @Option(names = "--no-tensors", description = "Leave out the tensor table.")
  boolean noTensors;

  @Option(names = "--full-arrays", description = "Print arrays whole instead of their first elements.")
  boolean fullArrays;

  @Override
  public Integer call() {
    try (GGUFFile f = GGUFFile.open(path)) {
      System.out.printf("file: %s%nGGUF version: %d, %d metadata keys, %d tensors, data at byte %d of %d%n%n",
          f.path(), f.version(), f.metadata().size(), f.tensors().size(), f.dataOffset(), f.fileSize());
      System.out.println("metadata:");
      for (Map.Entry<String, Object> e : f.metadata().entrySet()) {
        System.out.printf("  %-48s %s%n", e.getKey(), render(e.getValue()));
      }
      if (!noTensors) {
        System.out.println();
        System.out.printf("tensors:%n  %-40s %-6s %-22s %12s %14s%n", "name", "type", "shape", "bytes", "offset");
        long total = 0;
        for (TensorInfo t : f.tensors()) {
          System.out.printf("  %-40s %-6s %-22s %12d %14d%n", t.name(), t.type(),
              java.util.Arrays.toString(t.shape()), t.byteSize(), t.offset());
          total += t.byteSize();
        }
        System.out.printf("  total %.1f MiB of tensor data%n", total / 1048576.0);
      }
    }
    return 0;
  }

  private String render(Object v) {
    if (v == null || !v.getClass().isArray()) {
      String s = String.valueOf(v);
      return s.length() > 200 && !fullArrays ? s.substring(0, 200).replace("\n", "\\n") + "... (" + s.length() + " chars)" : s.replace("\n", "\\n");
    }
    int n = Array.getLength(v);
    int show = fullArrays ? n : Math.min(n, 8);
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < show; i++) {
      if (i > 0) sb.append(", ");
      Object e = Array.get(v, i);
      sb.append(e instanceof String s ? '"' + s + '"' : render(e));
    }
    if (show < n) sb.append(", ... ").append(n).append(" elements");
    return sb.append(']').toString();
  }
}
