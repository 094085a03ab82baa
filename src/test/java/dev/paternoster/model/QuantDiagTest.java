package dev.paternoster.model;

import dev.paternoster.TestModels;
import dev.paternoster.gguf.GGUFFile;
import dev.paternoster.tensor.Weight;
import org.junit.jupiter.api.Test;

class QuantDiagTest {
  @Test
  void diag() {
    try (GGUFFile a = GGUFFile.open(TestModels.require("models/tiny15m/tiny15m-f16.gguf"));
         GGUFFile b = GGUFFile.open(TestModels.require("models/tiny15m/tiny15m-q8_0.gguf"));
         GGUFFile c = GGUFFile.open(TestModels.require("models/tiny15m/tiny15m-q4_0.gguf"))) {
      for (String name : new String[] {"blk.0.attn_q.weight", "blk.3.ffn_down.weight", "token_embd.weight"}) {
        Weight wa = Weight.of(a, name), wb = Weight.of(b, name), wc = Weight.of(c, name);
        double maxB = 0, maxC = 0, amax = 0, sumB = 0;
        for (int r = 0; r < Math.min(wa.rows(), 200); r++) {
          float[] ra = wa.dequantizeRow(r), rb = wb.dequantizeRow(r), rc = wc.dequantizeRow(r);
          for (int i = 0; i < ra.length; i++) {
            maxB = Math.max(maxB, Math.abs(ra[i] - rb[i]));
            maxC = Math.max(maxC, Math.abs(ra[i] - rc[i]));
            amax = Math.max(amax, Math.abs(ra[i]));
            sumB += ra[i] - rb[i];
          }
        }
        System.out.printf("%s amax %.5f q8 maxdiff %.6f q4 maxdiff %.6f q8 sumdiff %.6f%n", name, amax, maxB, maxC, sumB);
        float[] r0 = wa.dequantizeRow(0), r1 = wb.dequantizeRow(0);
        System.out.println(java.util.Arrays.toString(java.util.Arrays.copyOf(r0, 6)) + " vs " + java.util.Arrays.toString(java.util.Arrays.copyOf(r1, 6)));
      }
    }
  }
}
