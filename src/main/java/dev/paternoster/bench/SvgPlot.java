package dev.paternoster.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A tiny SVG line-chart writer: panels of line series with axes, "nice" ticks, a legend and a
 * title. Hand-written SVG keeps the benchmark free of a plotting library, and the file opens in
 * any browser.
 */
public final class SvgPlot {
  private static final int PANEL_WIDTH = 560, PANEL_HEIGHT = 320;
  private static final int LEFT = 70, RIGHT = 20, TOP = 38, BOTTOM = 46;
  private static final String[] COLORS = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"
  };

  private SvgPlot() {}

  /**
   * One line. Points with a NaN coordinate are skipped.
   *
   * @param step draw as a staircase (for empirical CDFs)
   * @param markers draw a dot at every point (for sparse data such as a rate sweep)
   */
  public record Series(String name, double[] x, double[] y, boolean step, boolean markers) {
    public Series {
      if (x.length != y.length) throw new IllegalArgumentException("x and y differ in length");
    }

    public static Series line(String name, double[] x, double[] y) {
      return new Series(name, x, y, false, false);
    }
  }

  /**
   * One panel: a title, axis labels and its series.
   *
   * @param xFromZero start the x axis at 0 (time axes), not at the smallest x
   */
  public record Chart(String title, String xLabel, String yLabel, List<Series> series, boolean xFromZero) {
    public Chart {
      series = List.copyOf(series);
    }

    public Chart(String title, String xLabel, String yLabel, List<Series> series) {
      this(title, xLabel, yLabel, series, false);
    }
  }

  /** The empirical CDF of {@code values} as a step series (x = value, y = fraction <= x). */
  public static Series cdf(String name, double[] values) {
    double[] v = java.util.Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
    double[] x = new double[v.length + 1], y = new double[v.length + 1];
    if (v.length > 0) x[0] = v[0];
    for (int i = 0; i < v.length; i++) {
      x[i + 1] = v[i];
      y[i + 1] = (i + 1.0) / v.length;
    }
    return new Series(name, x, y, true, false);
  }

  /** An SVG document with the charts laid out in a grid of {@code columns} columns. */
  public static String render(String title, List<Chart> charts, int columns) {
    int cols = Math.max(1, Math.min(columns, charts.size()));
    int rows = (charts.size() + cols - 1) / cols;
    int width = cols * PANEL_WIDTH;
    List<String> titleLines = title == null ? List.of() : wrap(title, width / 9);
    int header = titleLines.isEmpty() ? 0 : 12 + 20 * titleLines.size();
    int height = header + rows * PANEL_HEIGHT;
    StringBuilder svg = new StringBuilder();
    svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    svg.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            + "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n", width, height, width, height));
    svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height));
    for (int i = 0; i < titleLines.size(); i++) {
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">%s</text>\n",
          width / 2, 22 + 20 * i, escape(titleLines.get(i))));
    }
    for (int i = 0; i < charts.size(); i++) {
      int x0 = (i % cols) * PANEL_WIDTH, y0 = header + (i / cols) * PANEL_HEIGHT;
      panel(svg, charts.get(i), x0, y0);
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static void panel(StringBuilder svg, Chart chart, int x0, int y0) {
    int plotW = PANEL_WIDTH - LEFT - RIGHT, plotH = PANEL_HEIGHT - TOP - BOTTOM;
    double[] xr = range(chart.series(), true), yr = range(chart.series(), false);
    if (yr[0] > 0) yr[0] = 0; // throughput and latency read best from zero
    if (chart.xFromZero() && xr[0] > 0) xr[0] = 0;
    double[] xt = ticks(xr[0], xr[1]), yt = ticks(yr[0], yr[1]);
    double xmin = xt[0], xmax = xt[xt.length - 1], ymin = yt[0], ymax = yt[yt.length - 1];
    int px = x0 + LEFT, py = y0 + TOP;

    svg.append(String.format(Locale.ROOT, "<g>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\">%s</text>\n",
        px + plotW / 2, y0 + 22, escape(chart.title())));
    svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#333\"/>\n",
        px, py, plotW, plotH));
    for (double t : xt) {
      double sx = px + (t - xmin) / (xmax - xmin) * plotW;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n", sx, py, sx, py + plotH));
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", sx, py + plotH + 16, label(t, xt)));
    }
    for (double t : yt) {
      double sy = py + plotH - (t - ymin) / (ymax - ymin) * plotH;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", px, sy, px + plotW, sy));
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", px - 6, sy + 4, label(t, yt)));
    }
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
        px + plotW / 2, y0 + PANEL_HEIGHT - 8, escape(chart.xLabel())));
    svg.append(String.format(Locale.ROOT, "<text transform=\"translate(%d %d) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
        x0 + 16, py + plotH / 2, escape(chart.yLabel())));

    for (int s = 0; s < chart.series().size(); s++) {
      Series series = chart.series().get(s);
      String color = COLORS[s % COLORS.length];
      StringBuilder points = new StringBuilder();
      double lastY = Double.NaN;
      for (int i = 0; i < series.x().length; i++) {
        double x = series.x()[i], y = series.y()[i];
        if (Double.isNaN(x) || Double.isNaN(y)) continue;
        double sx = px + (x - xmin) / (xmax - xmin) * plotW, sy = py + plotH - (y - ymin) / (ymax - ymin) * plotH;
        if (series.step() && !Double.isNaN(lastY)) points.append(String.format(Locale.ROOT, "%.1f,%.1f ", sx, lastY));
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", sx, sy));
        lastY = sy;
        if (series.markers()) {
          svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", sx, sy, color));
        }
      }
      if (!points.isEmpty()) {
        svg.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"%s\"/>\n",
            color, points.toString().strip()));
      }
      int ly = py + 14 + 16 * s;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>\n",
          px + 10, ly - 4, px + 28, ly - 4, color));
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>\n", px + 34, ly, escape(series.name())));
    }
    svg.append("</g>\n");
  }

  /** [min, max] over all finite points of all series, never empty or zero-width. */
  private static double[] range(List<Series> series, boolean xAxis) {
    double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        double v = xAxis ? s.x()[i] : s.y()[i];
        if (Double.isNaN(s.x()[i]) || Double.isNaN(s.y()[i]) || Double.isInfinite(v)) continue;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (lo > hi) return new double[] {0, 1};
    if (lo == hi) return new double[] {lo - (lo == 0 ? 0 : Math.abs(lo) * 0.5), hi + (hi == 0 ? 1 : Math.abs(hi) * 0.5)};
    return new double[] {lo, hi};
  }

  /** Tick values covering [lo, hi] with a step of 1, 2 or 5 times a power of ten, about 5 ticks. */
  static double[] ticks(double lo, double hi) {
    double raw = (hi - lo) / 5;
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = magnitude * (raw / magnitude < 1.5 ? 1 : raw / magnitude < 3.5 ? 2 : raw / magnitude < 7.5 ? 5 : 10);
    // The small tolerances keep 0.3 / 0.1 = 2.9999... from adding a tick below the data.
    long first = (long) Math.floor(lo / step + 1e-9), last = (long) Math.ceil(hi / step - 1e-9);
    List<Double> t = new ArrayList<>();
    for (long k = first; k <= Math.max(last, first + 1); k++) {
      // decimal multiplication: 3 x 0.1 is the tick 0.3, not 0.30000000000000004
      t.add(java.math.BigDecimal.valueOf(k).multiply(java.math.BigDecimal.valueOf(step)).doubleValue());
    }
    return t.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static String label(double v, double[] ticks) {
    double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
    int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
    return String.format(Locale.ROOT, "%." + Math.min(decimals, 6) + "f", v);
  }

  /** Splits a long title into lines of at most {@code max} characters, at spaces. */
  static List<String> wrap(String text, int max) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (!line.isEmpty() && line.length() + 1 + word.length() > max) {
        lines.add(line.toString());
        line.setLength(0);
      }
      if (!line.isEmpty()) line.append(' ');
      line.append(word);
    }
    if (!line.isEmpty()) lines.add(line.toString());
    return lines;
  }

  static String escape(String s) {
    if (s == null) return "";
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&apos;");
        default -> {
          if (c >= 0x20 || c == '\t' || c == '\n') b.append(c);
        }
      }
    }
    return b.toString();
  }
}
