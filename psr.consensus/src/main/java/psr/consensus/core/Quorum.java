package psr.consensus.core;

import java.util.Arrays;

/**
 * Quorum counting, in one place: every "enough replicas agree" decision of the replica goes through here. A
 * quorum is a majority, {@code f + 1} of {@code 2f + 1}.
 */
final class Quorum {

    private Quorum() {}

    /** The size of every quorum of a group of {@code replicaCount}. */
    static int size(int replicaCount) {
        return replicaCount / 2 + 1;
    }

    /** True when {@code count} replicas are a quorum of {@code replicaCount}. */
    static boolean reached(int count, int replicaCount) {
        return count >= size(replicaCount);
    }

    /** True when the set marks at least a quorum of its replicas. */
    static boolean reached(boolean[] members) {
        int count = 0;
        for (boolean m : members) if (m) count++;
        return reached(count, members.length);
    }

    /** True when at least a quorum of the slots are filled. */
    static boolean reached(Object[] slots) {
        int count = 0;
        for (Object o : slots) if (o != null) count++;
        return reached(count, slots.length);
    }

    /**
     * The highest value that at least a quorum of the replicas reached: with {@code reachedOp[i]} the highest op
     * replica i holds, every op up to the result is held by a quorum.
     */
    static long agreed(long[] reachedOp) {
        long[] sorted = reachedOp.clone();
        Arrays.sort(sorted);
        return sorted[reachedOp.length - size(reachedOp.length)];
    }
}
