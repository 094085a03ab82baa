package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LaneSumsTest {
  @Test
  void butterflyEqualsScalarTreeBitForBitForAnyGroupSize() {
    int l = Lanes.L;
    Random rnd = new Random(5);
    for (int count = 1; count <= l; count++) {
      for (int rep = 0; rep < 50; rep++) {
        float[] acc = new float[3 + l * l];
        for (int i = 0; i < acc.length; i++) acc[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
        float[] sums = new float[l];
        LaneSums.reduce(acc, 3, count, sums);
        for (int k = 0; k < count; k++) {
          float expect = LaneSums.scalar(acc.clone(), 3 + k * l);
          assertThat(sums[k]).as("count %d accumulator %d", count, k).isEqualTo(expect);
        }
      }
    }
  }

  @Test
  void rowsForTwoTokensGoStraightToTheirOutputsWithTheSameTree() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Lanes.L == 16, "reduceRows is the 16-lane path");
    int l = Lanes.L;
    Random rnd = new Random(7);
    for (int nt : new int[] {2, 3, 7}) {
      int ra = nt * l;
      float[] acc = new float[5 + 8 * ra];
      for (int i = 0; i < acc.length; i++) acc[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
      for (int t = 0; t + 2 <= nt; t++) {
        // second outputs well inside the array (masked vector stores), and ending at its last
        // element (fewer than L floats left: the sums go through the spill array)
        for (int o1 : new int[] {21, 32}) {
          float[] out = new float[40];
          java.util.Arrays.fill(out, -1f);
          LaneSums.reduceRows(acc, 5 + t * l, 5 + (t + 1) * l, ra, out, 3, o1, new float[l]);
          for (int i = 0; i < 8; i++) {
            assertThat(out[3 + i]).as("nt %d token %d row %d", nt, t, i).isEqualTo(LaneSums.scalar(acc.clone(), 5 + i * ra + t * l));
            assertThat(out[o1 + i]).as("nt %d token %d row %d at %d", nt, t + 1, i, o1).isEqualTo(LaneSums.scalar(acc.clone(), 5 + i * ra + (t + 1) * l));
          }
          // nothing else written
          for (int j = 0; j < out.length; j++) {
            if ((j < 3 || j >= 11) && (j < o1 || j >= o1 + 8)) assertThat(out[j]).as("out[%d]", j).isEqualTo(-1f);
          }
        }
      }
      // one token alone (an odd count's last): passed as both tokens, stored twice to one place
      for (int t = 0; t < nt; t++) {
        for (int o : new int[] {3, 32}) {
          float[] out = new float[40];
          java.util.Arrays.fill(out, -1f);
          LaneSums.reduceRows(acc, 5 + t * l, 5 + t * l, ra, out, o, o, new float[l]);
          for (int j = 0; j < out.length; j++) {
            float expect = j >= o && j < o + 8 ? LaneSums.scalar(acc.clone(), 5 + (j - o) * ra + t * l) : -1f;
            assertThat(out[j]).as("nt %d lone token %d out[%d]", nt, t, j).isEqualTo(expect);
          }
        }
      }
    }
  }
}
