package dev.paternoster.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Splits an SSE body into its {@code data:} payloads (test helper). */
final class Sse {
  private Sse() {}

  static List<String> data(String body) {
    List<String> out = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      for (String line : block.split("\n")) {
        if (line.startsWith("data: ")) out.add(line.substring(6));
      }
    }
    return out;
  }

  /** The JSON chunks, without the final [DONE]. */
  static List<JsonNode> chunks(String body) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String d : data(body)) if (!d.equals("[DONE]")) out.add(Json.MAPPER.readTree(d));
    return out;
  }
}
