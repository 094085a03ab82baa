package dev.paternoster;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Locates the shared test data in {@code ../shared} (never copied into the repository). */
public final class TestModels {
  private TestModels() {}

  public static Path shared() {
    String override = System.getProperty("paternoster.shared", System.getenv("PATERNOSTER_SHARED"));
    Path p = override != null ? Path.of(override) : Path.of("..", "shared");
    return p.toAbsolutePath().normalize();
  }

  /** A file under ../shared; the test is skipped (not failed) when the data is not there. */
  public static Path require(String relative) {
    Path p = shared().resolve(relative);
    Assumptions.assumeTrue(Files.exists(p), "shared test data missing: " + p);
    return p;
  }

  public static Path stories260K() {
    return require("models/stories260K/stories260K.gguf");
  }
}
