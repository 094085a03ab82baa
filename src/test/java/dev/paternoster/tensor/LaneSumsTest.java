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
}
