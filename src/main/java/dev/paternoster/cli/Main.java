package dev.paternoster.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code paternoster} command. */
@Command(
    name = "paternoster",
    mixinStandardHelpOptions = true,
    version = "Paternoster 0.1.0",
    description = "LLM inference server for the JVM with continuous batching.",
    subcommands = {ServeCommand.class, BenchCommand.class, GenerateCommand.class, InspectCommand.class, SynthCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  static {
    // One line per log record, on stderr: "INFO engine.Engine: message".
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s %3$s: %5$s%6$s%n");
    }
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured picocli command line (also used by tests). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    // Known failures (bad model file, bad parameter) print one clear line, not a stack trace.
    cl.setExecutionExceptionHandler((ex, line, parse) -> {
      line.getErr().println("paternoster: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
      if (Boolean.getBoolean("paternoster.debug")) ex.printStackTrace(line.getErr());
      return 1;
    });
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
