package dev.paternoster.engine;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * Sequences waiting for admission, in the order the policy serves them. Admission takes from the
 * head only and stops at the first sequence that does not fit (strict head of line), so a waiting
 * request is never overtaken by later arrivals of the same rank: no starvation under FCFS.
 */
sealed interface WaitingQueue extends Iterable<Sequence> permits WaitingQueue.Fcfs, WaitingQueue.Priority {

  /** A new arrival. */
  void add(Sequence s);

  /** A preempted sequence (or a released n > 1 sibling): it goes before every new arrival. */
  void addFront(Sequence s);

  Sequence peek();

  Sequence poll();

  boolean remove(Sequence s);

  int size();

  default boolean isEmpty() {
    return size() == 0;
  }

  static WaitingQueue of(EngineConfig.Policy policy, int agingSteps) {
    return switch (policy) {
      case FCFS -> new Fcfs();
      case PRIORITY -> new Priority(agingSteps);
    };
  }

  /** Arrival order; preempted sequences go back to the very front. */
  final class Fcfs implements WaitingQueue {
    private final ArrayDeque<Sequence> deque = new ArrayDeque<>();

    @Override
    public void add(Sequence s) {
      deque.addLast(s);
    }

    @Override
    public void addFront(Sequence s) {
      deque.addFirst(s);
    }

    @Override
    public Sequence peek() {
      return deque.peekFirst();
    }

    @Override
    public Sequence poll() {
      return deque.pollFirst();
    }

    @Override
    public boolean remove(Sequence s) {
      return deque.remove(s);
    }

    @Override
    public int size() {
      return deque.size();
    }

    @Override
    public java.util.Iterator<Sequence> iterator() {
      return deque.iterator();
    }
  }

  /**
   * Lowest aged key first: {@code priority * agingSteps + arrivalStep}. A request waiting
   * {@code agingSteps} engine steps longer than another ranks one priority level better, so a steady
   * stream of high-priority arrivals cannot starve a low-priority request forever. The key is fixed
   * at arrival (aging is linear in the arrival step), so the heap never needs re-sorting. A
   * preempted sequence keeps its key: with its early arrival it ranks ahead of later arrivals of its
   * level, which is "the front" for this policy.
   */
  final class Priority implements WaitingQueue {
    private final PriorityQueue<Sequence> heap;

    Priority(int agingSteps) {
      heap = new PriorityQueue<>(order(agingSteps));
    }

    /** Service order under PRIORITY; the preemption victim is the maximum. */
    static Comparator<Sequence> order(int agingSteps) {
      return Comparator.<Sequence>comparingLong(s -> agedKey(s, agingSteps))
          .thenComparingLong(s -> s.request.arrivalOrder)
          .thenComparingInt(s -> s.choiceIndex);
    }

    static long agedKey(Sequence s, int agingSteps) {
      return (long) s.request.priority() * agingSteps + s.request.arrivalStep;
    }

    @Override
    public void add(Sequence s) {
      heap.add(s);
    }

    @Override
    public void addFront(Sequence s) {
      heap.add(s);
    }

    @Override
    public Sequence peek() {
      return heap.peek();
    }

    @Override
    public Sequence poll() {
      return heap.poll();
    }

    @Override
    public boolean remove(Sequence s) {
      return heap.remove(s);
    }

    @Override
    public int size() {
      return heap.size();
    }

    @Override
    public java.util.Iterator<Sequence> iterator() {
      return heap.iterator();
    }
  }
}
