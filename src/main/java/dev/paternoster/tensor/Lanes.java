package dev.paternoster.tensor;

import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes every kernel uses. One float species for the whole process: a token's dot
 * products must use the same lane count whatever the batch looks like (batch invariance).
 */
final class Lanes {
  private Lanes() {}

  static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  /** Floats per vector (16 with AVX-512, 8 with AVX2). */
  static final int L = F.length();

  /**
   * The vector decoders load L bytes or L shorts and widen them to L floats; they assume
   * 8 <= L <= 16 (L divides the 16- and 32-value groups of every format). Otherwise the scalar
   * {@link Dequant} decodes instead.
   */
  static final boolean VECTOR_DECODE = L == 8 || L == 16;

  static final VectorSpecies<Byte> B = VECTOR_DECODE ? ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(L * 8)) : null;
  static final VectorSpecies<Short> S = VECTOR_DECODE ? ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(L * 16)) : null;
  static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED.withShape(F.vectorShape());

  /** The byte order of float scratch segments (decoded weights, copied activations). */
  static final ByteOrder NATIVE = ByteOrder.nativeOrder();
}
