package dev.paternoster.server;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A request body's top-level JSON object, read field by field with type checks that name the
 * parameter ({@code "'n' must be an integer, got string"}).
 *
 * <p>Every accessor marks its field as known; {@link #unknownFields()} lists the rest, which the
 * server ignores with a warning (vLLM's rule: clients written for newer OpenAI versions keep working).
 * JSON {@code null} counts as absent, as in OpenAI's API.
 */
public final class RequestFields {
  private final ObjectNode node;
  private final Set<String> known = new HashSet<>();

  public RequestFields(ObjectNode node) {
    this.node = node;
  }

  /** Parses a request body; anything but one JSON object is a 400. */
  public static RequestFields parse(byte[] body) {
    if (body.length == 0) throw ApiException.badRequest(null, "Request body is empty; expected a JSON object.");
    requireUtf8(body);
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (JacksonException e) {
      throw ApiException.badRequest(null, "Request body is not valid JSON: " + describe(e));
    } catch (NumberFormatException e) {
      // Jackson throws this (not a JacksonException) for numbers such as 1e9999999999.
      throw ApiException.badRequest(null, "Request body holds a number outside the range this server can read.");
    } catch (java.io.IOException e) {
      throw ApiException.badRequest(null, "Request body could not be read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw ApiException.badRequest(null, "Request body must be a JSON object, got " + typeName(root) + ".");
    }
    return new RequestFields((ObjectNode) root);
  }

  /**
   * JSON travels as UTF-8 (RFC 8259). Jackson's own decoder lets some invalid sequences through
   * (overlong forms such as {@code C0 AF}, encoded surrogates) and reports others as unrelated
   * syntax errors, so the bytes are checked with the JDK's strict decoder first.
   */
  private static void requireUtf8(byte[] body) {
    CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(body);
    CharBuffer out = CharBuffer.allocate(Math.min(body.length, 8192));
    while (true) {
      CoderResult r = d.decode(in, out, true); // end of input: a sequence cut short is an error too
      if (r.isError()) {
        throw ApiException.badRequest(null, "Request body is not valid UTF-8: invalid byte sequence at byte offset " + in.position() + ".");
      }
      out.clear();
      if (r.isUnderflow()) return;
    }
  }

  /**
   * Jackson's message without its Java vocabulary (class names, feature flags), plus where the
   * problem is: an error body must speak JSON to the client, not Java.
   */
  private static String describe(JacksonException e) {
    String msg = e.getOriginalMessage() == null ? "malformed JSON" : e.getOriginalMessage();
    if (msg.startsWith("Trailing token")) msg = "unexpected data after the JSON object";
    msg = msg.replaceAll("\\s*\\(bound as `[^`]*`\\)", "").replaceAll("`[a-z]+(\\.[a-zA-Z_$][\\w$]*)+`", "a value");
    var loc = e.getLocation();
    if (loc != null && loc.getLineNr() > 0) msg += " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    return msg;
  }

  /** The field's node, or null when absent or JSON null; marks it known. */
  public JsonNode raw(String name) {
    known.add(name);
    JsonNode v = node.get(name);
    return v == null || v.isNull() ? null : v;
  }

  public boolean has(String name) {
    return raw(name) != null;
  }

  /** Marks fields the server accepts but does not act on (e.g. {@code user}). */
  public void accept(String... names) {
    known.addAll(List.of(names));
  }

  public String string(String name) {
    JsonNode v = raw(name);
    if (v == null) return null;
    if (!v.isTextual()) throw wrongType(name, "a string", v);
    return v.textValue();
  }

  public Boolean bool(String name) {
    JsonNode v = raw(name);
    if (v == null) return null;
    if (!v.isBoolean()) throw wrongType(name, "a boolean", v);
    return v.booleanValue();
  }

  public Integer integer(String name) {
    JsonNode v = raw(name);
    return v == null ? null : asInt(name, v);
  }

  public Long longValue(String name) {
    JsonNode v = raw(name);
    if (v == null) return null;
    BigDecimal d = integral(name, v);
    try {
      return d.longValueExact();
    } catch (ArithmeticException e) {
      throw ApiException.badRequest(name, "'" + name + "' is out of range, got " + v);
    }
  }

  public Double number(String name) {
    JsonNode v = raw(name);
    if (v == null) return null;
    if (!v.isNumber()) throw wrongType(name, "a number", v);
    return v.doubleValue();
  }

  /** An int from any node (also for array elements), accepting integral floats such as {@code 2.0}. */
  public static int asInt(String name, JsonNode v) {
    BigDecimal d = integral(name, v);
    try {
      return d.intValueExact();
    } catch (ArithmeticException e) {
      throw ApiException.badRequest(name, "'" + name + "' is out of range, got " + v);
    }
  }

  private static BigDecimal integral(String name, JsonNode v) {
    if (!v.isNumber()) throw wrongType(name, "an integer", v);
    BigDecimal d = v.decimalValue();
    if (d.stripTrailingZeros().scale() > 0) {
      throw ApiException.badRequest(name, "'" + name + "' must be an integer, got " + v);
    }
    return d;
  }

  /** Top-level keys no accessor asked for, in document order. */
  public List<String> unknownFields() {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!known.contains(k)) out.add(k);
    }
    return out;
  }

  public static ApiException wrongType(String name, String expected, JsonNode got) {
    return ApiException.badRequest(name, "'" + name + "' must be " + expected + ", got " + typeName(got));
  }

  /** JSON's own name for a node's type. */
  public static String typeName(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) return "null";
    if (n.isTextual()) return "string";
    if (n.isBoolean()) return "boolean";
    if (n.isIntegralNumber()) return "integer";
    if (n.isNumber()) return "number";
    if (n.isArray()) return "array";
    if (n.isObject()) return "object";
    return n.getNodeType().name().toLowerCase();
  }
}
