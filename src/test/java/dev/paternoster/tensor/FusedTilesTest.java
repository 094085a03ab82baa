package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The panels FusedTiles packs tokens into; its arithmetic is checked in MatmulTest. */
class FusedTilesTest {
  @Test
  void panelsCoverEveryTokenOnceWidestFirst() {
    for (int nt = 1; nt <= 100; nt++) {
      int t = 0, previous = Integer.MAX_VALUE;
      while (t < nt) {
        int width = FusedTiles.panelWidth(t, nt);
        assertThat(width).as("%d tokens, panel at %d", nt, t).isIn(12, 8, 4, 2, 1).isLessThanOrEqualTo(nt - t).isLessThanOrEqualTo(previous);
        previous = width;
        t += width;
      }
      assertThat(t).isEqualTo(nt);
    }
  }

  @Test
  void packPutsEachTokensChunksSideBySideInItsPanel() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Lanes.L == 16, "FusedTiles is the 16-lane path");
    int nt = 15, cols = 64, xo = 3, xStride = 70; // panels of 12, 2 and 1 tokens
    float[] x = new float[xo + nt * xStride];
    for (int i = 0; i < x.length; i++) x[i] = i;
    float[] packed = new float[nt * cols];
    FusedTiles.pack(x, xo, xStride, nt, cols, packed);
    int t0 = 0;
    while (t0 < nt) {
      int width = FusedTiles.panelWidth(t0, nt);
      for (int t = 0; t < width; t++) {
        for (int c = 0; c < cols; c++) {
          int at = t0 * cols + (c / 16) * width * 16 + t * 16 + c % 16;
          assertThat(packed[at]).as("token %d column %d", t0 + t, c).isEqualTo(x[xo + (t0 + t) * xStride + c]);
        }
      }
      t0 += width;
    }
  }
}
