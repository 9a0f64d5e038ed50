package psr.consensus.part;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Function;

import psr.api.state.Operation;
import psr.api.state.OperationResult;
import psr.api.state.PrimaryTask;
import psr.api.state.Value;

/**
 * The primary-only tasks bound to a part: each runs every period on the serving primary only, on the part's task
 * loop (an OSAL event loop of its own, so a slow task never holds up the replica), and its writes commit as one batch
 * with a compare-and-set of its cycle number ({@code $task/<name>/cycle}, see FORMAT.md). A cycle that a deposed
 * primary ran late therefore never commits a second time, and a new primary goes on from the last committed cycle.
 *
 * <p>{@link #add}, {@link #remove}: any thread. {@link #runDue}: the replica's loop.
 */
final class PrimaryTasks {
    static final String TASK_PREFIX = "$task/";

    /** A primary-only task bound to this part. */
    static final class Binding {
        final String name;
        final PrimaryTask task;
        final int periodMs;
        long nextDueTick; // replica loop
        volatile boolean running;

        Binding(String name, PrimaryTask task, int periodMs) {
            if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException("primary task property psr.task = '" + name + "' is not allowed: expected 1 to 64 characters from A-Z a-z 0-9 . - _");
            }
            if (periodMs < 10) {
                throw new IllegalArgumentException("primary task " + name + ": psr.task.period.ms = " + periodMs + " is not allowed: expected at least 10");
            }
            this.name = name;
            this.task = task;
            this.periodMs = periodMs;
        }
    }

    private final CopyOnWriteArrayList<Binding> bindings = new CopyOnWriteArrayList<>();
    private final PartSettings settings;
    private final PartStateMachine state;
    private final Executor taskLoop;
    private final Function<Operation, CompletionStage<OperationResult>> submit;
    private final PartRuntime.Log log;

    PrimaryTasks(PartSettings settings, PartStateMachine state, Executor taskLoop, Function<Operation, CompletionStage<OperationResult>> submit,
            PartRuntime.Log log) {
        this.settings = settings;
        this.state = state;
        this.taskLoop = taskLoop;
        this.submit = submit;
        this.log = log;
    }

    void add(Binding b) {
        bindings.add(b);
    }

    void remove(PrimaryTask task) {
        bindings.removeIf(b -> b.task == task);
    }

    /** Starts the cycles that are due at {@code tick}, when this replica is the serving primary. Replica loop. */
    void runDue(long tick, boolean servingPrimary) {
        if (bindings.isEmpty()) return;
        for (Binding t : bindings) {
            if (tick < t.nextDueTick) continue;
            t.nextDueTick = tick + settings.ticks(t.periodMs);
            if (t.running || !servingPrimary) continue;
            String cycleKey = TASK_PREFIX + t.name + "/cycle";
            Value last = state.get(cycleKey);
            long number = last == null ? 1 : last.asInt64() + 1;
            t.running = true;
            taskLoop.execute(() -> runCycle(t, cycleKey, last, number));
        }
    }

    /** Task loop. */
    private void runCycle(Binding t, String cycleKey, Value last, long number) {
        List<Operation> writes = new ArrayList<>();
        PrimaryTask.TaskCycle cycle = new PrimaryTask.TaskCycle() {
            @Override public long number() { return number; }
            @Override public Optional<Value> read(String key) { return Optional.ofNullable(state.get(key)); }
            @Override public void put(String key, Value value) { writes.add(Operation.put(key, value)); }
            @Override public void delete(String key) { writes.add(Operation.delete(key)); }
        };
        try {
            t.task.run(cycle);
        } catch (RuntimeException e) {
            log.error("part " + settings.part() + ": primary task " + t.name + " failed in cycle " + number + "; nothing written", e);
            t.running = false;
            return;
        }
        writes.add(Operation.compareAndSet(cycleKey, last == null ? null : Value.ofInt64(number - 1), Value.ofInt64(number)));
        submit.apply(new Operation.Batch(writes)).whenComplete((result, error) -> {
            if (error == null && !result.applied()) {
                log.info("part " + settings.part() + ": primary task " + t.name + " cycle " + number + " was already committed elsewhere; not written again");
            }
            t.running = false;
        });
    }
}
