package dev.paternoster.server;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the npm test clients in src/test/node (skipping, with the reason, when node or node_modules are missing). */
final class NodeClients {
  static final Path DIR = Path.of("src", "test", "node").toAbsolutePath();

  private NodeClients() {}

  static void assumeInstalled(String... packages) {
    assumeTrue(onPath("node"), "node is not installed; the npm test clients cannot run");
    for (String p : packages) {
      assumeTrue(Files.isDirectory(DIR.resolve("node_modules").resolve(p)),
          "src/test/node/node_modules/" + p + " is missing: run `npm install` in src/test/node (./run-tests does)");
    }
  }

  static boolean onPath(String exe) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, exe))) return true;
    }
    return false;
  }

  record Result(int exitCode, String output) {}

  static Result run(long timeoutSeconds, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("node");
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile("paternoster-node", ".log");
    Process p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, Files.readString(log) + "\n(timed out after " + timeoutSeconds + " s)");
    }
    return new Result(p.exitValue(), Files.readString(log));
  }
}
