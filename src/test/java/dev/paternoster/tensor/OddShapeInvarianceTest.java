package dev.paternoster.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Real model shapes (tiny15m: 288 and 768 columns) with every batch size up to 9: alone equals batched, and close to the reference. */
class OddShapeInvarianceTest {
  @ParameterizedTest
  @CsvSource({"Q8_0,37,288", "Q8_0,29,768", "Q4_0,37,288", "Q4_0,40,288", "Q4_0,64,768", "F16,37,288", "F32,37,288", "BF16,37,288", "Q4_K,19,512", "Q6_K,19,512", "Q5_K,19,768"})
  void batchedEqualsAloneAtModelShapes(GGMLType type, int rows, int cols) {
    SplittableRandom rnd = new SplittableRandom(3);
    float[] values = new float[rows * cols];
    for (int i = 0; i < values.length; i++) values[i] = (float) (rnd.nextDouble() * 2 - 1);
    Weight w = Quantize.weight("w", type, rows, cols, values);
    try (Parallel pool = new Parallel(2)) {
      for (int n : new int[] {1, 2, 3, 5, 8, 9, 16, 17, 33, 37, 64}) {
        float[] x = new float[n * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        float[] batched = new float[n * rows];
        Matmul.matmul(w, x, n, batched, pool);
        for (int t = 0; t < n; t++) {
          float[] alone = new float[rows];
          Matmul.matmul(w, Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, alone, pool);
          assertThat(Arrays.copyOfRange(batched, t * rows, (t + 1) * rows)).as("%s n=%d t=%d", type, n, t).containsExactly(alone);
          if (Matmul.quantizesActivations(type) || Matmul.isKQuant(type)) {
            // llama.cpp quantizes the activations: its result, bit for bit
            float[] want = new float[rows];
            ReferenceMatmul.llamaCpp(w, Arrays.copyOfRange(x, t * cols, (t + 1) * cols), 1, want);
            assertThat(alone).as("%s token %d vs llama.cpp", type, t).containsExactly(want);
            continue;
          }
          for (int r = 0; r < rows; r++) {
            float[] row = w.dequantizeRow(r);
            double ref = 0;
            for (int c = 0; c < cols; c++) ref += (double) row[c] * x[t * cols + c];
            assertThat((double) alone[r]).as("%s row %d vs reference", type, r).isCloseTo(ref, org.assertj.core.api.Assertions.within(1e-3 * Math.max(1, Math.abs(ref))));
          }
        }
      }
    }
  }
}
