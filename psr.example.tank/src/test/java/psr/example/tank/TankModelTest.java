package psr.example.tank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The simulated process and its controller, without PSR. */
class TankModelTest {

    @Test
    void theControllerFillsAnEmptyTankAndHoldsTheSetpointThroughThePumpCycle() {
        TankModel.State s = TankModel.State.EMPTY;
        double maxError = 0;
        for (long cycle = 1; cycle <= 9_000; cycle++) { // 15 minutes at 100 ms
            TankModel.State next = TankModel.step(s, cycle, 1.5, 0.1);
            assertTrue(next.valve() >= 0 && next.valve() <= 1, "valve " + next.valve() + " at cycle " + cycle);
            assertTrue(next.level() >= 0 && next.level() <= TankModel.HEIGHT, "level " + next.level());
            assertTrue(next.inflowTotal() >= s.inflowTotal(), "the integrated inflow never goes back");
            if (cycle > 1_800) maxError = Math.max(maxError, Math.abs(next.level() - 1.5));
            s = next;
        }
        assertTrue(maxError < 0.12, "after 3 minutes the level stays within 12 cm of the setpoint through every pump start and stop; worst " + maxError);
    }

    @Test
    void theSameCommittedStateAndCycleGiveTheSameStep() {
        TankModel.State s = new TankModel.State(1.2, 0.4, true, 3.0, 17.5);
        assertEquals(TankModel.step(s, 1234, 1.5, 0.1), TankModel.step(s, 1234, 1.5, 0.1));
    }

    @Test
    void thePumpFollowsItsDemandPattern() {
        assertTrue(TankModel.pumpDemand(0));
        assertTrue(TankModel.pumpDemand(599));
        assertTrue(!TankModel.pumpDemand(600) && !TankModel.pumpDemand(899));
        assertTrue(TankModel.pumpDemand(900));
    }
}
