package dev.paternoster.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

class SvgPlotTest {

  static Document parse(String svg) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void writesWellFormedSvgWithOnePolylinePerSeries() throws Exception {
    String svg = SvgPlot.render("Tokens <&> \"quotes\"", List.of(
        new SvgPlot.Chart("a & b", "time (s)", "tok/s", List.of(
            SvgPlot.Series.line("static <1>", new double[] {0, 1, 2}, new double[] {10, 20, Double.NaN}),
            SvgPlot.Series.line("continuous", new double[] {0, 1, 2}, new double[] {30, 40, 50}))),
        new SvgPlot.Chart("cdf", "ms", "fraction", List.of(SvgPlot.cdf("ttft", new double[] {3, 1, 2})))), 2);
    Document doc = parse(svg);
    assertThat(doc.getDocumentElement().getLocalName()).isEqualTo("svg");
    assertThat(doc.getDocumentElement().getNamespaceURI()).isEqualTo("http://www.w3.org/2000/svg");
    assertThat(doc.getElementsByTagName("polyline").getLength()).isEqualTo(3);
    assertThat(svg).contains("Tokens &lt;&amp;&gt; &quot;quotes&quot;").contains("static &lt;1&gt;");
  }

  @Test
  void emptyAndFlatSeriesStillRender() throws Exception {
    String svg = SvgPlot.render(null, List.of(
        new SvgPlot.Chart("empty", "x", "y", List.of(SvgPlot.Series.line("none", new double[0], new double[0]))),
        new SvgPlot.Chart("flat", "x", "y", List.of(new SvgPlot.Series("one", new double[] {5}, new double[] {5}, false, true)))), 1);
    Document doc = parse(svg);
    assertThat(doc.getElementsByTagName("circle").getLength()).isEqualTo(1);
    assertThat(svg).doesNotContain("NaN").doesNotContain("Infinity");
  }

  @Test
  void ticksAreRoundNumbersCoveringTheRange() {
    assertThat(SvgPlot.ticks(0, 97)).containsExactly(0, 20, 40, 60, 80, 100);
    double[] small = SvgPlot.ticks(0.3, 0.92);
    assertThat(small[0]).isLessThanOrEqualTo(0.3);
    assertThat(small[small.length - 1]).isGreaterThanOrEqualTo(0.92);
    assertThat(small[1] - small[0]).isCloseTo(0.1, org.assertj.core.api.Assertions.within(1e-9));
    double[] t = SvgPlot.ticks(0, 1);
    assertThat(t[0]).isEqualTo(0);
    assertThat(t[t.length - 1]).isGreaterThanOrEqualTo(1);
  }

  @Test
  void cdfRisesFromZeroToOne() {
    SvgPlot.Series s = SvgPlot.cdf("x", new double[] {2, Double.NaN, 1});
    assertThat(s.y()).containsExactly(0, 0.5, 1.0);
    assertThat(s.x()).containsExactly(1, 1, 2);
    assertThat(s.step()).isTrue();
  }

  @Test
  void throughputBinsAreRoundAndAboutFortyPerRun() {
    assertThat(BenchPlots.binSeconds(2.3)).isEqualTo(0.1);
    assertThat(BenchPlots.binSeconds(60)).isEqualTo(2.0);
    assertThat(BenchPlots.binSeconds(300)).isEqualTo(10.0);
  }

  @Test
  void longTitlesWrapAtSpaces() {
    assertThat(SvgPlot.wrap("aaa bbb ccc ddd", 7)).containsExactly("aaa bbb", "ccc ddd");
    assertThat(SvgPlot.wrap("short", 80)).containsExactly("short");
  }
}
