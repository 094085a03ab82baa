package dev.paternoster.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the model to serve when {@code --model} is not given: {@code $PATERNOSTER_MODEL}, else the
 * first {@code *.gguf} under {@code ./models/} (by path, searching subfolders), else the shared test
 * model {@code ../shared/models/stories260K/stories260K.gguf}. Relative places are looked up in the
 * working directory and then in the checkout ({@code -Dpaternoster.home}, set by the launcher).
 */
public final class ModelLocator {
  public static final String ENV = "PATERNOSTER_MODEL";
  static final String SHARED_MODEL = "../shared/models/stories260K/stories260K.gguf";

  public static final String HOW_TO =
      "no model to serve. Give one with --model PATH/TO/MODEL.gguf, or set " + ENV
          + "=PATH, or put a .gguf file under ./models/";

  private ModelLocator() {}

  public static Optional<Path> locate(Path explicit, Map<String, String> env, List<Path> bases) {
    if (explicit != null) return Optional.of(explicit);
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) return Optional.of(Path.of(fromEnv));
    for (Path base : bases) {
      Optional<Path> first = firstGguf(base.resolve("models"));
      if (first.isPresent()) return first;
    }
    for (Path base : bases) {
      Path shared = base.resolve(SHARED_MODEL).normalize();
      if (Files.isRegularFile(shared)) return Optional.of(shared);
    }
    return Optional.empty();
  }

  /** The working directory, then the checkout the launcher runs from. */
  public static List<Path> defaultBases() {
    Path cwd = Path.of("").toAbsolutePath();
    String home = System.getProperty("paternoster.home");
    if (home == null || Path.of(home).toAbsolutePath().equals(cwd)) return List.of(cwd);
    return List.of(cwd, Path.of(home).toAbsolutePath());
  }

  static Optional<Path> firstGguf(Path dir) {
    if (!Files.isDirectory(dir)) return Optional.empty();
    try (Stream<Path> s = Files.walk(dir, 4)) {
      return s.filter(p -> p.getFileName().toString().toLowerCase().endsWith(".gguf") && Files.isRegularFile(p))
          .sorted()
          .findFirst();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }
}
