package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.junit.jupiter.api.Test;

/** {@link Quorum} against a deliberately simple reference, over random cases (as etcd-raft's quorum quick test). */
class QuorumTest {

    /** Reference: the largest x among the values such that at least a majority of them are >= x (0 if none). */
    static long referenceAgreed(long[] reached) {
        long best = Long.MIN_VALUE;
        for (long candidate : reached) {
            int atLeast = 0;
            for (long r : reached) if (r >= candidate) atLeast++;
            if (atLeast * 2 > reached.length && candidate > best) best = candidate;
        }
        return best;
    }

    @Test
    void agreedMatchesTheReferenceOnRandomCases() {
        long seed = Long.getLong("psr.quorum.seed", 20261201L);
        Random random = new Random(seed);
        for (int c = 0; c < 100_000; c++) {
            int n = 1 + random.nextInt(9);
            long[] reached = new long[n];
            for (int i = 0; i < n; i++) reached[i] = random.nextInt(4) == 0 ? 0 : random.nextInt(20);
            assertEquals(referenceAgreed(reached), Quorum.agreed(reached), "seed " + seed + ", case " + c + ": " + java.util.Arrays.toString(reached));
        }
    }

    @Test
    void reachedMatchesAMajorityOnRandomCases() {
        Random random = new Random(7);
        for (int c = 0; c < 100_000; c++) {
            int n = 1 + random.nextInt(9);
            boolean[] votes = new boolean[n];
            int yes = 0;
            for (int i = 0; i < n; i++) {
                votes[i] = random.nextBoolean();
                if (votes[i]) yes++;
            }
            assertEquals(yes * 2 > n, Quorum.reached(votes), java.util.Arrays.toString(votes));
            assertEquals(yes * 2 > n, Quorum.reached(yes, n));
        }
        assertEquals(2, Quorum.size(3));
        assertEquals(3, Quorum.size(5));
        assertEquals(1, Quorum.size(1));
    }
}
