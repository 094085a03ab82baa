package dev.paternoster.tensor;

import static dev.paternoster.tensor.Lanes.B;
import static dev.paternoster.tensor.Lanes.F;
import static dev.paternoster.tensor.Lanes.L;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector decoders for ggml's 32-value block formats Q8_0 and Q4_0: L bytes are loaded, widened
 * to L floats (sign-extending byte → float conversion) and multiplied by the block's fp16 scale.
 * The products of an fp16 scale and an integer below 2^8 are exact, as in {@link Dequant}.
 */
final class BlockDecoders {
  private BlockDecoders() {}

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  // Vectors never cross a method boundary here (no helpers taking or returning vectors): a
  // helper that C2 declines to inline (it already compiled it standalone, or the compilation hit
  // its node budget) would box every vector, and run 10x slower.

  /** block_q8_0 (34 bytes): fp16 d, int8 q[32]. */
  static void q8_0(MemorySegment data, long rowOffset, int col, int n, float[] dst, int dstOff) {
    long o = rowOffset + (long) (col / 32) * 34;
    for (int b = 0; b < n; b += 32, o += 34) {
      float d = Dequant.f16(data, o);
      for (int c = 0; c < 32; c += L) {
        ByteVector q = ByteVector.fromMemorySegment(B, data, o + 2 + c, LE);
        ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, dstOff + b + c);
      }
    }
  }

  /** block_q4_0 (18 bytes): fp16 d, q[16]: values 0..15 in the low nibbles, 16..31 in the high ones; x = d*(q-8). */
  static void q4_0(MemorySegment data, long rowOffset, int col, int n, float[] dst, int dstOff) {
    long o = rowOffset + (long) (col / 32) * 18;
    for (int b = 0; b < n; b += 32, o += 18) {
      float d = Dequant.f16(data, o);
      for (int c = 0; c < 16; c += L) {
        // the nibbles are cut out on the narrow byte vector, before widening; the high ones shifted
        // down as ints (x86 has no byte-lane shifts: they are emulated, slowly), then masked as bytes
        ByteVector q = ByteVector.fromMemorySegment(B, data, o + 2 + c, LE);
        ((FloatVector) q.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, dstOff + b + c);
        ((FloatVector) q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F).sub((byte) 8)
            .convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, dstOff + b + 16 + c);
      }
    }
  }
}
