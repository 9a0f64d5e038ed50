package psr.osal.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import psr.osal.common.TaskQueue.QueuedTimer;

/** The queue on its own, on a clock the test moves. */
class TaskQueueTest {

    @Test
    void nextSlotSkipsMissedRunsInsteadOfBunchingThem() {
        assertEquals(110, TaskQueue.nextSlot(100, 10, 100));
        assertEquals(110, TaskQueue.nextSlot(100, 10, 105));
        assertEquals(120, TaskQueue.nextSlot(100, 10, 110));
        assertEquals(200, TaskQueue.nextSlot(100, 10, 195), "nine missed slots are skipped");
        assertEquals(110, TaskQueue.nextSlot(100, 10, 50), "early (cannot happen) still moves forward");
        long nearWrap = Long.MAX_VALUE - 5;
        assertEquals(nearWrap + 20, TaskQueue.nextSlot(nearWrap, 10, nearWrap + 15), "wrap-safe");
        assertEquals(Long.MIN_VALUE + 4, TaskQueue.nextSlot(Long.MAX_VALUE - 5, 10, Long.MAX_VALUE + 3L), "wrap-safe past the wrap");
    }

    @Test
    void dueTimersComeFirstInDeadlineThenScheduleOrderThenTasksInSubmissionOrder() {
        TaskQueue queue = new TaskQueue();
        List<String> ran = new ArrayList<>();
        queue.addTask(() -> ran.add("task 1"));
        queue.addTask(() -> ran.add("task 2"));
        queue.addTimer(() -> ran.add("late"), 30, 0, t -> { }, "late");
        queue.addTimer(() -> ran.add("a"), 10, 0, t -> { }, "a");
        queue.addTimer(() -> ran.add("b"), 10, 0, t -> { }, "b");
        long now = 20;
        while (true) {
            QueuedTimer timer = queue.pollDueTimer(now);
            if (timer != null) {
                timer.runTask();
                continue;
            }
            Runnable task = queue.pollTask();
            if (task == null) break;
            task.run();
        }
        assertEquals(List.of("a", "b", "task 1", "task 2"), ran);
        assertEquals(10, queue.untilFirstDeadline(now));
        assertEquals(0, queue.untilFirstDeadline(35));
    }

    @Test
    void deadlinesCompareAcrossTheWrapOfTheClock() {
        TaskQueue queue = new TaskQueue();
        QueuedTimer before = queue.addTimer(() -> { }, Long.MAX_VALUE - 1, 0, t -> { }, "before the wrap");
        QueuedTimer after = queue.addTimer(() -> { }, Long.MIN_VALUE + 1, 0, t -> { }, "after the wrap");
        assertNull(queue.pollDueTimer(Long.MAX_VALUE - 2));
        assertSame(before, queue.pollDueTimer(Long.MIN_VALUE + 5));
        assertSame(after, queue.pollDueTimer(Long.MIN_VALUE + 5));
    }

    @Test
    void aPeriodicTimerIsRearmedAtItsNextSlotUnlessCancelledAndClearCancelsEverything() {
        TaskQueue queue = new TaskQueue();
        int[] runs = new int[1];
        QueuedTimer periodic = queue.addTimer(() -> runs[0]++, 100, 10, queue::cancel, "periodic");
        QueuedTimer timer = queue.pollDueTimer(155);
        timer.runTask();
        queue.rearm(timer, 155);
        assertEquals(5, queue.untilFirstDeadline(155), "the slot after 155 is 160: the missed ones are skipped");
        periodic.cancel();
        assertTrue(periodic.cancelled());
        assertEquals(Long.MAX_VALUE, queue.untilFirstDeadline(155));
        queue.rearm(periodic, 200);
        assertEquals(Long.MAX_VALUE, queue.untilFirstDeadline(200), "a cancelled timer is not rearmed");
        periodic.runTask();
        assertEquals(1, runs[0], "a cancelled timer does not run");

        QueuedTimer other = queue.addTimer(() -> runs[0]++, 300, 0, queue::cancel, "other");
        queue.addTask(() -> runs[0]++);
        queue.clear();
        assertTrue(other.cancelled());
        assertNull(queue.pollTask());
        assertNull(queue.pollDueTimer(1000));
    }
}
