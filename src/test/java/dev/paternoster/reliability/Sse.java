package dev.paternoster.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paternoster.server.Json;
import java.util.ArrayList;
import java.util.List;

/** Splits an SSE body into its {@code data:} payloads. */
final class Sse {
  private Sse() {}

  static List<String> data(String body) {
    List<String> out = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (line.startsWith("data: ")) out.add(line.substring(6).strip());
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
