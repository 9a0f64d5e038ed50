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
}
