package dev.paternoster.cli;

import java.util.Locale;
import picocli.CommandLine;

/** Sizes such as {@code 512m}, {@code 2g}, {@code 64k} or plain bytes (powers of 1024). */
final class ByteSize implements CommandLine.ITypeConverter<Long> {
  @Override
  public Long convert(String value) {
    return parse(value);
  }

  static long parse(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.endsWith("ib")) v = v.substring(0, v.length() - 2);
    else if (v.endsWith("b")) v = v.substring(0, v.length() - 1);
    long unit = 1;
    if (!v.isEmpty()) {
      switch (v.charAt(v.length() - 1)) {
        case 'k' -> unit = 1L << 10;
        case 'm' -> unit = 1L << 20;
        case 'g' -> unit = 1L << 30;
        case 't' -> unit = 1L << 40;
        default -> unit = 1;
      }
      if (unit > 1) v = v.substring(0, v.length() - 1);
    }
    try {
      double n = Double.parseDouble(v.trim());
      if (!(n > 0) || n * unit > Long.MAX_VALUE) throw new NumberFormatException();
      return (long) (n * unit);
    } catch (NumberFormatException e) {
      throw new CommandLine.TypeConversionException("'" + value + "' is not a size (examples: 512m, 2g, 65536)");
    }
  }
}
