package psr.consensus.part;

import java.io.IOException;

import psr.api.transport.Transport;
import psr.consensus.codec.CodecException;
import psr.consensus.codec.MessageCodec;
import psr.consensus.core.Effects;
import psr.consensus.core.Message;
import psr.consensus.core.Replica;
import psr.consensus.core.ReplicaEvent;
import psr.consensus.core.Request;
import psr.consensus.store.ReplicaStore;

/**
 * The thin layer between the deterministic {@link Replica} core and the world (in the style of etcd-raft's
 * {@code rawnode}): every input goes to the core, and the {@link Effects} it returns are carried out in the one order
 * that keeps the protocol's promises: persist (fsync where the core asks), then log its events, then send its
 * messages, then hand committed operations and replies on to the {@link Outputs}.
 *
 * <p>Loop thread only. Once storage fails, the driver is halted: nothing depending on state that may not be durable
 * leaves this replica, in that batch or any later one.
 */
final class ReplicaDriver {

    /** What the driver hands on after a batch is durable and sent. Called on the loop thread. */
    interface Outputs {
        /** Operations were applied (or a checkpoint installed): {@code fx.committed()}, {@code fx.restoredCheckpointOp()}. */
        void applied(Effects fx);

        void reply(Effects.Reply reply);

        /** After every batch, whatever it held. */
        void afterBatch();
    }

    private final PartSettings settings;
    private final Replica replica;
    private final ReplicaStore store; // null: diskless
    private final Transport transport;
    private final MessageCodec codec;
    private final ReplicaEventLog eventLog;
    private final PartRuntime.Log log;
    private Outputs outputs;
    private boolean halted;

    ReplicaDriver(PartSettings settings, Replica replica, ReplicaStore store, Transport transport, MessageCodec codec, PartRuntime.Log log) {
        this.settings = settings;
        this.replica = replica;
        this.store = store;
        this.transport = transport;
        this.codec = codec;
        this.log = log;
        this.eventLog = new ReplicaEventLog(settings.part(), settings.node(), settings.replicas(), settings.tickMs());
    }

    void outputs(Outputs outputs) {
        this.outputs = outputs;
    }

    /** The core, for queries only: every input goes through this driver. */
    Replica replica() {
        return replica;
    }

    boolean halted() {
        return halted;
    }

    void startup() {
        handle(replica.drainStartupEffects());
    }

    void tick() {
        handle(replica.tick());
    }

    void step(int fromIndex, Message message) {
        handle(replica.step(fromIndex, message));
    }

    void submit(Request request) {
        handle(replica.submit(request));
    }

    void transferLeadership(int toIndex) {
        handle(replica.transferLeadership(toIndex));
    }

    private void handle(Effects fx) {
        if (halted) return;
        if (!fx.persist().isEmpty() && store != null) {
            try {
                store.apply(fx.persist(), fx.syncBeforeSend());
            } catch (IOException e) {
                halted = true;
                throw new IllegalStateException("part " + settings.part() + ": storage failed in " + settings.storageDirectory() + ": " + e.getMessage(), e);
            }
        }
        for (ReplicaEvent event : fx.events()) {
            ReplicaEventLog.Line line = eventLog.line(event);
            if (line.warn()) log.warn(line.text()); else log.info(line.text());
        }
        for (Effects.Outbound out : fx.messages()) send(out);
        if (!fx.committed().isEmpty() || fx.restoredCheckpointOp() >= 0) outputs.applied(fx);
        for (Effects.Reply reply : fx.replies()) outputs.reply(reply);
        outputs.afterBatch();
    }

    private void send(Effects.Outbound out) {
        byte[] framed;
        try {
            framed = codec.encode(out.message(), 1);
        } catch (CodecException e) {
            log.warn("part " + settings.part() + ": message not sent: " + e.getMessage());
            return;
        }
        framed[0] = ForwardingFrames.FRAME_REPLICA;
        transport.send(settings.part(), settings.replicas().get(out.to()), framed);
    }
}
