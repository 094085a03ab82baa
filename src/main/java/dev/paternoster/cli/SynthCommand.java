package dev.paternoster.cli;

import dev.paternoster.bench.ModelShape;
import dev.paternoster.bench.Synthesizer;
import dev.paternoster.tensor.GGMLType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code paternoster synth}: a random-weight GGUF at a real model's shape. */
@Command(name = "synth", mixinStandardHelpOptions = true,
    description = "Write a random-weight GGUF model at a real model's shape (loadable by llama.cpp too).")
public final class SynthCommand implements Callable<Integer> {
  @Option(names = "--shape", required = true,
      description = "Model shape: tiny15m, llama110m, qwen2.5-0.5b, qwen3-0.6b, llama3.2-1b.")
  String shape;

  @Option(names = "--type", defaultValue = "q8_0",
      description = "Weight type: f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, q6_k (default: ${DEFAULT-VALUE}).")
  String type;

  @Option(names = "--out", required = true, description = "Output file.")
  Path out;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    ModelShape s = ModelShape.byName(shape);
    GGMLType t;
    try {
      t = GGMLType.valueOf(type.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown --type '" + type + "'");
    }
    if (!t.supported) throw new IllegalArgumentException("--type " + type + " is not supported");
    boolean tty = System.console() != null;
    System.err.printf("synth: %s (%.0fM parameters) as %s -> %s%n", s.name(), s.parameters() / 1e6, t, out);
    new Synthesizer(s, t, seed, tty ? System.err : null).write(out);
    if (tty) System.err.println();
    System.err.printf("synth: wrote %.1f MiB%n", Files.size(out) / 1048576.0);
    return 0;
  }
}
