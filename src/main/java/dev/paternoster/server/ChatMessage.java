package dev.paternoster.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One chat message as the chat template sees it.
 *
 * @param role system, user, assistant or tool ({@code developer} is OpenAI's newer name for system)
 * @param content the text; content-part arrays are joined from their {@code text} parts
 * @param name the optional {@code name}
 */
public record ChatMessage(String role, String content, String name) {
  private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

  /** The map a Jinja template indexes ({@code message['role']}, {@code message.content}). */
  public Map<String, Object> toTemplateMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("content", content);
    if (name != null) m.put("name", name);
    return m;
  }

  public static List<ChatMessage> parseAll(JsonNode messages) {
    if (messages == null) throw ApiException.badRequest("messages", "'messages' is required");
    if (!messages.isArray()) throw RequestFields.wrongType("messages", "an array of messages", messages);
    if (messages.isEmpty()) throw ApiException.badRequest("messages", "'messages' must not be empty");
    List<ChatMessage> out = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) out.add(parse(messages.get(i), "messages[" + i + "]"));
    return out;
  }

  static ChatMessage parse(JsonNode m, String where) {
    if (!m.isObject()) throw RequestFields.wrongType(where, "an object with 'role' and 'content'", m);
    JsonNode roleNode = m.get("role");
    if (roleNode == null || !roleNode.isTextual()) {
      throw ApiException.badRequest(where + ".role", where + ".role must be a string, got " + RequestFields.typeName(roleNode));
    }
    String role = roleNode.textValue();
    if (!ROLES.contains(role)) {
      throw ApiException.badRequest(where + ".role", where + ".role must be one of system, developer, user, assistant, tool; got '" + role + "'");
    }
    if (role.equals("developer")) role = "system";
    String content = content(m.get("content"), where + ".content", role);
    JsonNode nameNode = m.get("name");
    String name = null;
    if (nameNode != null && !nameNode.isNull()) {
      if (!nameNode.isTextual()) throw RequestFields.wrongType(where + ".name", "a string", nameNode);
      name = nameNode.textValue();
    }
    return new ChatMessage(role, content, name);
  }

  private static String content(JsonNode c, String where, String role) {
    if (c == null || c.isNull()) {
      // An assistant turn that only called tools has no content; everyone else must say something.
      if (role.equals("assistant")) return "";
      throw ApiException.badRequest(where, where + " is required for role '" + role + "'");
    }
    if (c.isTextual()) {
      Text.requireWellFormed(where, c.textValue());
      return c.textValue();
    }
    if (!c.isArray()) throw RequestFields.wrongType(where, "a string or an array of content parts", c);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < c.size(); i++) {
      JsonNode part = c.get(i);
      String pw = where + "[" + i + "]";
      if (!part.isObject()) throw RequestFields.wrongType(pw, "a content part object", part);
      JsonNode type = part.get("type");
      if (type == null || !type.isTextual() || !type.textValue().equals("text")) {
        throw ApiException.badRequest(pw + ".type", pw + ": only text content parts ({\"type\":\"text\",\"text\":...}) are supported, got type "
            + (type == null ? "null" : type.toString()));
      }
      JsonNode text = part.get("text");
      if (text == null || !text.isTextual()) throw RequestFields.wrongType(pw + ".text", "a string", text);
      Text.requireWellFormed(pw + ".text", text.textValue());
      if (!sb.isEmpty()) sb.append('\n'); // vLLM joins text parts with newlines
      sb.append(text.textValue());
    }
    return sb.toString();
  }
}
