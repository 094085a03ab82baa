package dev.paternoster.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paternoster.tensor.GGMLType;
import dev.paternoster.tensor.Matmul;
import dev.paternoster.tensor.Parallel;
import dev.paternoster.tensor.Quantize;
import dev.paternoster.tensor.ReferenceMatmul;
import dev.paternoster.tensor.Weight;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF files larger than 2 GiB: offsets past {@code Integer.MAX_VALUE} must be read and mapped
 * correctly (a 32-bit offset anywhere would land in the wrong place or fail). The file is 2.3 GiB
 * on paper but mostly a hole, so the test writes a few kilobytes.
 */
class LargeFileTest {
  @TempDir Path tmp;

  @Test
  void readsAndMultipliesAWeightStoredBeyondTwoGiB() throws IOException {
    int rows = 24, cols = 96;
    SplittableRandom rnd = new SplittableRandom(7);
    float[] values = new float[rows * cols];
    for (int i = 0; i < values.length; i++) values[i] = (float) rnd.nextGaussian();
    byte[] q8 = Quantize.toBytes(GGMLType.Q8_0, values);
    float[] tail = {1.5f, -2.25f, 3f, 0.125f};

    long holeFloats = 600_000_000L; // 2.4e9 bytes of F32 zeros before the real tensors
    Path p = tmp.resolve("large.gguf");
    new GGUFWriter()
        .put("general.architecture", "llama")
        .tensor("hole", GGMLType.F32, new long[] {1000, holeFloats / 1000}, GGUFWriter.TensorSource.ZEROS)
        .tensor("far.weight", GGMLType.Q8_0, new long[] {cols, rows}, out -> out.write(q8))
        .tensor("far.bias", GGMLType.F32, new long[] {tail.length}, out -> {
          java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * tail.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
          for (float f : tail) b.putFloat(f);
          out.write(b.array());
        })
        .write(p);
    assertThat(Files.size(p)).isGreaterThan(2L << 30);

    try (GGUFFile f = GGUFFile.open(p)) {
      TensorInfo far = f.tensor("far.weight");
      assertThat(f.dataOffset() + far.offset()).isGreaterThan(Integer.MAX_VALUE);
      TensorInfo bias = f.tensor("far.bias");
      float[] got = new float[tail.length];
      dev.paternoster.tensor.Dequant.row(GGMLType.F32, f.data(bias), 0, got, 0, tail.length);
      assertThat(got).containsExactly(tail);
      float[] zeros = new float[cols];
      dev.paternoster.tensor.Dequant.row(GGMLType.F32, f.data(f.tensor("hole")), holeFloats * 4 - 4L * cols, zeros, 0, cols);
      assertThat(zeros).containsOnly(0f);

      Weight w = Weight.of(f, "far.weight");
      float[] x = new float[2 * cols];
      for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
      float[] fast = new float[2 * rows], ref = new float[2 * rows];
      Matmul.matmul(w, x, 2, fast, Parallel.shared());
      // Q8_0 weights: llama.cpp's arithmetic (activations quantized to Q8_0), bit for bit
      ReferenceMatmul.llamaCpp(w, x, 2, ref);
      for (int i = 0; i < fast.length; i++) assertThat(fast[i]).as("output %d", i).isEqualTo(ref[i]);
    }
  }
}
