package dev.paternoster.engine;

import java.util.Arrays;

/**
 * Packs (value, token id) into one {@code long} whose ascending order is: value descending, then id
 * ascending. Sorting or selecting these primitive keys ranks tokens without boxing, deterministically.
 */
final class RankKeys {
  private RankKeys() {}

  static long key(float value, int id) {
    int bits = Float.floatToRawIntBits(value);
    int ascending = bits ^ ((bits >> 31) & 0x7FFFFFFF); // signed-int order == float order
    return ((long) ~ascending << 32) | (id & 0xFFFFFFFFL);
  }

  static int id(long key) {
    return (int) key;
  }

  static float value(long key) {
    int ascending = ~(int) (key >> 32);
    int bits = ascending ^ ((ascending >> 31) & 0x7FFFFFFF);
    return Float.intBitsToFloat(bits);
  }

  /**
   * Rearranges {@code keys[0..n)} so that {@code keys[0..k)} holds the k best (smallest) keys,
   * sorted. O(n log k): a max-heap of the best k seen so far, kept in the array's prefix.
   */
  static void selectBest(long[] keys, int n, int k) {
    if (k >= n) {
      Arrays.sort(keys, 0, n);
      return;
    }
    if (k <= 0) return;
    for (int i = k / 2 - 1; i >= 0; i--) siftDown(keys, i, k);
    for (int i = k; i < n; i++) {
      if (keys[i] < keys[0]) {
        keys[0] = keys[i];
        siftDown(keys, 0, k);
      }
    }
    Arrays.sort(keys, 0, k);
  }

  private static void siftDown(long[] h, int i, int size) {
    long x = h[i];
    while (true) {
      int c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && h[c + 1] > h[c]) c++;
      if (h[c] <= x) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = x;
  }
}
