package dev.paternoster.server;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=indent)}, the way HuggingFace's {@code
 * tojson} filter prints tool schemas: {@code ", "} and {@code ": "} separators on one line, or
 * newlines and indentation with {@code indent}. Models were trained on exactly this text.
 */
final class PythonJson {
  private PythonJson() {}

  static String dumps(Object value, Integer indent) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, indent, 0);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v, Integer indent, int depth) {
    switch (v) {
      case null -> sb.append("null");
      case Boolean b -> sb.append(b ? "true" : "false");
      case Double d when d.isNaN() -> sb.append("NaN");
      case Double d when d.isInfinite() -> sb.append(d > 0 ? "Infinity" : "-Infinity");
      case Number n -> sb.append(n);
      case Map<?, ?> m -> {
        if (m.isEmpty()) {
          sb.append("{}");
          return;
        }
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          if (!first) sb.append(indent == null ? ", " : ",");
          newline(sb, indent, depth + 1);
          string(sb, String.valueOf(e.getKey()));
          sb.append(": ");
          write(sb, e.getValue(), indent, depth + 1);
          first = false;
        }
        newline(sb, indent, depth);
        sb.append('}');
      }
      case Iterable<?> it -> {
        if (!it.iterator().hasNext()) {
          sb.append("[]");
          return;
        }
        sb.append('[');
        boolean first = true;
        for (Object o : it) {
          if (!first) sb.append(indent == null ? ", " : ",");
          newline(sb, indent, depth + 1);
          write(sb, o, indent, depth + 1);
          first = false;
        }
        newline(sb, indent, depth);
        sb.append(']');
      }
      case Object[] arr -> write(sb, java.util.Arrays.asList(arr), indent, depth);
      default -> string(sb, v.toString());
    }
  }

  private static void newline(StringBuilder sb, Integer indent, int depth) {
    if (indent == null) return;
    sb.append('\n').append(" ".repeat(indent * depth));
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    JsonStringEncoder.getInstance().quoteAsString(s, sb);
    sb.append('"');
  }
}
