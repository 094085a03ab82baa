package dev.paternoster.server;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** OpenAI's error body: {@code {"error":{"message","type","param","code"}}}, all four keys always present. */
public final class ErrorResponse {
  private ErrorResponse() {}

  public static ObjectNode of(ApiException e) {
    return of(e.getMessage(), e.type(), e.param(), e.code());
  }

  public static ObjectNode of(String message, String type, String param, String code) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode err = root.putObject("error");
    err.put("message", message);
    err.put("type", type);
    err.put("param", param);
    err.put("code", code);
    return root;
  }
}
