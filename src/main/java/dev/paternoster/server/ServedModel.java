package dev.paternoster.server;

import dev.paternoster.engine.Engine;
import dev.paternoster.tokenizer.Tokenizer;

/**
 * The model the server answers for, once it is loaded: its public name, the running engine, the
 * tokenizer, and the chat template.
 *
 * @param name the {@code model} id clients send and {@code /v1/models} lists
 * @param createdEpochSeconds when it was loaded ({@code created} in {@code /v1/models})
 */
public record ServedModel(String name, Engine engine, Tokenizer tokenizer, ChatTemplate chatTemplate, long createdEpochSeconds) {

  public static ServedModel of(String name, Engine engine, ChatTemplate template) {
    return new ServedModel(name, engine, engine.tokenizer(), template, System.currentTimeMillis() / 1000);
  }

  public int maxModelLen() {
    return engine.maxModelLen();
  }

  /** The model's BOS token as text (what templates print as {@code bos_token}), or "". */
  public static String bosText(Tokenizer t) {
    return t.bosId() >= 0 ? t.tokenText(t.bosId()) : "";
  }

  public static String eosText(Tokenizer t) {
    return t.eosId() >= 0 ? t.tokenText(t.eosId()) : "";
  }
}
