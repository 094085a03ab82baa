package dev.paternoster.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;

/** {@code GET /v1/models}: the one model this server serves, in OpenAI's list shape. */
final class ModelsHandler {
  private final OpenAiServer server;

  ModelsHandler(OpenAiServer server) {
    this.server = server;
  }

  void list(Context ctx) {
    ServedModel m = server.requireModel();
    ObjectNode out = Json.MAPPER.createObjectNode();
    out.put("object", "list");
    ObjectNode card = out.putArray("data").addObject();
    card.put("id", m.name());
    card.put("object", "model");
    card.put("created", m.createdEpochSeconds());
    card.put("owned_by", "paternoster");
    card.put("root", m.name());
    card.putNull("parent");
    card.put("max_model_len", m.maxModelLen());
    Responses.json(ctx, 200, out);
  }
}
