package psr.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;

/** How --exec tells "certainly not done" from "may or may not have committed". */
class CommandSocketTest {

    /** Stands in for psr.api.state.OutcomeUnknownException, recognized by name (the launcher does not see the API). */
    static final class OutcomeUnknownException extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    @Test
    void aTimeoutOrAnUnknownOutcomeAnywhereInTheCauseChainIsUnknown() {
        assertTrue(CommandSocket.outcomeUnknown(new TimeoutException("no answer within 10 s")));
        assertTrue(CommandSocket.outcomeUnknown(new RuntimeException(new TimeoutException())));
        assertFalse(CommandSocket.outcomeUnknown(new IllegalArgumentException("unknown type 'int33'")));
        assertFalse(CommandSocket.outcomeUnknown(new OutcomeUnknownException()), "only psr.api.state's class counts");
    }
}
