package psr.consensus.part;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import psr.api.state.Value;

/** The shell's formats for scripts. */
class PsrCommandsTest {

    @Test
    void scriptOutputQuotesStringsSoThatNoFieldCanSplit() {
        assertEquals("\"a b=c \\\"q\\\" \\\\ \\n\"", PsrCommands.scriptText(Value.ofString("a b=c \"q\" \\ \n")));
        assertEquals("-1", PsrCommands.scriptText(Value.ofInt32(-1)));
        assertEquals("71.5", PsrCommands.scriptText(Value.ofDouble(71.5)));
    }

    @Test
    void valuesWrittenFromTheShellCarryThePlatformClocksTime() throws Exception {
        java.util.List<psr.api.state.Operation> submitted = new java.util.ArrayList<>();
        psr.api.state.PartState boiler = (psr.api.state.PartState) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {psr.api.state.PartState.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "part" -> "boiler";
                    case "submit" -> {
                        submitted.add((psr.api.state.Operation) args[0]);
                        yield java.util.concurrent.CompletableFuture.completedFuture(new StateValues.OperationResultValue(true, 12, 1, null));
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        PsrCommands commands = new PsrCommands(null);
        commands.addPart(boiler);
        commands.clock = new psr.api.osal.Clock() {
            @Override public long monotonicNanos() { return 0; }
            @Override public long wallMillis() { return 1_700_000_000_123L; }
            @Override public long resolutionNanos() { return 1; }
        };
        assertEquals("committed at op 12 in view 1", commands.put("boiler", "setpoint", "double", "71.5"));
        commands.cas("boiler", "mode", "string", "auto", "manual");
        psr.api.state.Operation.Put put = (psr.api.state.Operation.Put) submitted.get(0);
        assertEquals(1_700_000_000_123L, put.value().timestamp());
        psr.api.state.Operation.CompareAndSet cas = (psr.api.state.Operation.CompareAndSet) submitted.get(1);
        assertEquals(1_700_000_000_123L, cas.newValue().timestamp());
    }

    @Test
    void aRefusedConfigurationChangeShowsWithThePartUntilALaterChangeIsTaken() {
        psr.api.state.PartStatus status = new StateValues.PartStatusValue("oven", 1, psr.api.state.Role.PRIMARY, 2, 1, true,
                java.util.List.of(), 40, 40, 0, "", 0);
        psr.api.state.PartState oven = (psr.api.state.PartState) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {psr.api.state.PartState.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "part" -> "oven";
                    case "status" -> status;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        PsrCommands commands = new PsrCommands(null);
        commands.addPart(oven);
        try {
            PartComponent.refusedChange("oven", "property heartbeat.ms = 'fast' is not allowed: expected an integer from 10 to 60000");
            String table = commands.parts();
            org.junit.jupiter.api.Assertions.assertTrue(table.contains("  oven: CONFIGURATION CHANGE REFUSED, runs with its previous configuration:"
                    + " property heartbeat.ms = 'fast' is not allowed"), table);
            assertEquals("part=oven role=PRIMARY view=2 primary=1 op=40 commit=40\n"
                    + "part=oven warning=configuration_refused reason=\"property heartbeat.ms = 'fast' is not allowed: expected an integer from 10 to 60000\"",
                    commands.parts("-1"));
            org.junit.jupiter.api.Assertions.assertTrue(commands.status().contains("CONFIGURATION CHANGE REFUSED"), commands.status());
            PartComponent.refusedChange("oven", null);
            assertEquals("part=oven role=PRIMARY view=2 primary=1 op=40 commit=40", commands.parts("-1"));
        } finally {
            PartComponent.refusedChange("oven", null);
        }
    }
}
