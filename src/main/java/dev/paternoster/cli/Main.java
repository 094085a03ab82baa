package dev.paternoster.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code paternoster} command. */
@Command(
    name = "paternoster",
    mixinStandardHelpOptions = true,
    version = "Paternoster 0.1.0",
    description = "LLM inference server for the JVM with continuous batching.",
    subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured picocli command line (also used by tests). */
  public static CommandLine commandLine() {
    return new CommandLine(new Main());
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
