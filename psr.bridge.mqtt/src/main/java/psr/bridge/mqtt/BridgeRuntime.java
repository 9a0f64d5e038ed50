package psr.bridge.mqtt;

import java.util.List;
import java.util.Map;

import psr.api.state.PartState;

/** A running bridge of either mode, as its component and the shell see it. */
interface BridgeRuntime {
    void start();

    /** Says what a subscriber expects on a clean stop (status offline, NDEATH), disconnects and ends its threads. */
    void stop();

    /** Ends as a dying process would: the broker sends the Wills. For crash tests. */
    void abandon();

    void addPart(PartState part);

    void removePart(PartState part);

    Map<String, Object> status();

    Counters counters();

    List<Map<String, Object>> partStatus();
}
