package psr.consensus.part;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import psr.consensus.core.Effects;
import psr.consensus.core.Effects.Outcome;
import psr.consensus.core.LogEntry;

/** The forwarding frames of FORMAT.md, byte for byte, and what a malformed one is. */
class ForwardingFramesTest {

    @Test
    void aForwardedRequestIsItsFrameByteClientRequestNumberAndCommand() {
        byte[] frame = ForwardingFrames.forward(0x0102030405060708L, 9, new byte[] {42, 43});
        assertArrayEquals(new byte[] {1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 9, 42, 43}, frame);
        ForwardingFrames.Forward f = ForwardingFrames.readForward(frame);
        assertEquals(0x0102030405060708L, f.clientId());
        assertEquals(9, f.requestNumber());
        assertArrayEquals(new byte[] {42, 43}, f.command());
    }

    @Test
    void aForwardFromNoClientTheGroupOrWithANegativeNumberOrCutShortIsMalformed() {
        assertNull(ForwardingFrames.readForward(ForwardingFrames.forward(0, 1, new byte[0])));
        assertNull(ForwardingFrames.readForward(ForwardingFrames.forward(LogEntry.GROUP, 1, new byte[0])));
        assertNull(ForwardingFrames.readForward(ForwardingFrames.forward(5, -1, new byte[0])));
        assertNull(ForwardingFrames.readForward(Arrays.copyOf(ForwardingFrames.forward(5, 1, new byte[0]), 16)));
    }

    @Test
    void outcomeCodesAreFixedNumbersOnTheWire() {
        // These numbers are what controllers of every version read: never renumber them (FORMAT.md).
        assertEquals(0, ForwardingFrames.code(Outcome.OK));
        assertEquals(1, ForwardingFrames.code(Outcome.NOT_PRIMARY));
        assertEquals(2, ForwardingFrames.code(Outcome.STALE_REQUEST));
        assertEquals(3, ForwardingFrames.code(Outcome.EVICTED));
        assertEquals(4, ForwardingFrames.code(Outcome.BUSY));
        for (Outcome o : Outcome.values()) assertEquals(o, ForwardingFrames.outcome(ForwardingFrames.code(o)));
        assertNull(ForwardingFrames.outcome((byte) 5));
    }

    @Test
    void aReplyCarriesOutcomeHintOpViewAndResultOrNone() {
        Effects.Reply ok = new Effects.Reply(7, 3, Outcome.OK, new byte[] {0}, -1, 120, 4);
        byte[] frame = ForwardingFrames.reply(ok);
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 3, 0, -1, -1, -1, -1,
                0, 0, 0, 0, 0, 0, 0, 120, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0}, frame);
        Effects.Reply back = ForwardingFrames.readReply(frame, 3);
        assertEquals(ok.outcome(), back.outcome());
        assertEquals(120, back.op());
        assertEquals(4, back.view());
        assertArrayEquals(new byte[] {0}, back.result());

        Effects.Reply notPrimary = ForwardingFrames.readReply(ForwardingFrames.reply(new Effects.Reply(7, 4, Outcome.NOT_PRIMARY, null, 2, -1, 5)), 3);
        assertEquals(Outcome.NOT_PRIMARY, notPrimary.outcome());
        assertEquals(2, notPrimary.primaryHint());
        assertNull(notPrimary.result(), "no result is not an empty result");
    }

    @Test
    void aReplyWithAnUnknownOutcomeAHintOutsideTheGroupOrCutShortIsMalformed() {
        byte[] frame = ForwardingFrames.reply(new Effects.Reply(7, 3, Outcome.OK, null, -1, 1, 1));
        byte[] unknown = frame.clone();
        unknown[17] = 9;
        assertNull(ForwardingFrames.readReply(unknown, 3));
        assertNull(ForwardingFrames.readReply(ForwardingFrames.reply(new Effects.Reply(7, 3, Outcome.NOT_PRIMARY, null, 3, -1, 1)), 3),
                "hint 3 in a group of 3 replicas");
        assertNull(ForwardingFrames.readReply(Arrays.copyOf(frame, frame.length - 1), 3));
        byte[] badFlag = frame.clone();
        badFlag[frame.length - 1] = 2;
        assertNull(ForwardingFrames.readReply(badFlag, 3));
    }
}
