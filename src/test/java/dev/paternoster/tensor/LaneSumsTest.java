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
  void aGroupOfRowsGoesStraightToItsOutputsWithTheSameTree() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Lanes.L == 16, "reduceGroup is the 16-lane path");
    int l = Lanes.L;
    Random rnd = new Random(7);
    for (int nt : new int[] {1, 2, 3, 6, 7}) {
      int ra = nt * l;
      float[] acc = new float[8 * ra];
      for (int i = 0; i < acc.length; i++) acc[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3));
      // the group's rows 3..10 of every token, in outputs of 13 floats per token: the last
      // token's rows end 2 floats before the array does
      int o = 3, stride = 13;
      float[] out = new float[o + (nt - 1) * stride + 8 + 2];
      java.util.Arrays.fill(out, -1f);
      float[] before = acc.clone();
      LaneSums.reduceGroup(acc, nt, out, o, stride);
      for (int j = 0; j < out.length; j++) {
        int t = (j - o) / stride, i = (j - o) % stride;
        boolean written = j >= o && t < nt && i < 8;
        float expect = written ? LaneSums.scalar(before.clone(), i * ra + t * l) : -1f;
        assertThat(out[j]).as("nt %d out[%d] (token %d row %d)", nt, j, t, i).isEqualTo(expect);
      }
      assertThat(acc).as("accumulators left as they were").isEqualTo(before);
    }
  }
}
