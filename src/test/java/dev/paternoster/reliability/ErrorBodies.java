package dev.paternoster.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.server.Json;
import java.util.List;
import java.util.regex.Pattern;

/** What every error answer of the API must look like: OpenAI's JSON shape, never a stack trace. */
final class ErrorBodies {
  /** Signs of a leaked stack trace or Java internals. */
  private static final List<Pattern> LEAKS = List.of(
      Pattern.compile("\\bat [\\w$.]+\\([\\w$]+\\.java:\\d+\\)"), // a stack frame
      Pattern.compile("\\.java:\\d+"),
      Pattern.compile("\\b(java|javax|jdk|sun|io\\.javalin|org\\.eclipse|com\\.fasterxml|dev\\.paternoster)\\.[a-z]+\\.[\\w.$]*"),
      Pattern.compile("\\w+(Exception|Error)\\b(?!\")"));

  private ErrorBodies() {}

  /** Fails if {@code body} shows a stack trace, a Java class name or an exception type. */
  static void assertNoStackTrace(String body) {
    for (Pattern p : LEAKS) {
      assertThat(p.matcher(body).find()).as("error body leaks internals (%s): %s", p, body).isFalse();
    }
  }

  /** An OpenAI-shaped error with all four keys, and nothing internal in it; returns {@code error}. */
  static JsonNode assertApiError(int status, String body) {
    assertNoStackTrace(body);
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (Exception e) {
      throw new AssertionError("status " + status + " with a body that is not JSON: " + body);
    }
    JsonNode e = root.get("error");
    assertThat(e).as("error object in %s", body).isNotNull();
    for (String k : new String[] {"message", "type", "param", "code"}) assertThat(e.has(k)).as("error.%s in %s", k, body).isTrue();
    assertThat(e.get("message").asText()).as(body).isNotBlank();
    return e;
  }
}
