package dev.paternoster.server;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The global functions HuggingFace's chat-template environment defines: {@code raise_exception} and
 * {@code strftime_now}. Registered with Jinjava by {@link ChatTemplate}.
 */
public final class TemplateFunctions {
  private TemplateFunctions() {}

  /** Thrown by {@code raise_exception(msg)}: the template refused the conversation. */
  public static final class TemplateRaisedException extends RuntimeException {
    public TemplateRaisedException(String message) {
      super(message, null, false, false);
    }
  }

  public static String raiseException(String message) {
    throw new TemplateRaisedException(message);
  }

  /** Python's {@code datetime.now().strftime(fmt)} (Llama 3 templates print today's date with it). */
  public static String strftimeNow(String format) {
    return strftime(ZonedDateTime.now(), format);
  }

  static String strftime(ZonedDateTime t, String format) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < format.length(); i++) {
      char c = format.charAt(i);
      if (c != '%' || i + 1 >= format.length()) {
        out.append(c);
        continue;
      }
      char d = format.charAt(++i);
      boolean noPad = false;
      if (d == '-' && i + 1 < format.length()) { // glibc's %-d: no zero padding
        noPad = true;
        d = format.charAt(++i);
      }
      String pattern = switch (d) {
        case 'd' -> noPad ? "d" : "dd";
        case 'm' -> noPad ? "M" : "MM";
        case 'Y' -> "yyyy";
        case 'y' -> "yy";
        case 'b', 'h' -> "MMM";
        case 'B' -> "MMMM";
        case 'a' -> "EEE";
        case 'A' -> "EEEE";
        case 'H' -> noPad ? "H" : "HH";
        case 'I' -> noPad ? "h" : "hh";
        case 'M' -> noPad ? "m" : "mm";
        case 'S' -> noPad ? "s" : "ss";
        case 'p' -> "a";
        case 'j' -> noPad ? "D" : "DDD";
        case 'Z' -> "z";
        case 'z' -> "xx";
        default -> null;
      };
      if (pattern != null) {
        out.append(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH).format(t));
      } else if (d == '%') {
        out.append('%');
      } else {
        out.append('%').append(d); // unknown directive: kept as written, as Python does
      }
    }
    return out.toString();
  }
}
