package psr.bridge.mqtt;

/** Sparkplug B 3.0 topics of one edge node: {@code spBv1.0/<group>/<type>/<edge node>[/<device>]}. */
final class SparkplugTopics {
    static final String NAMESPACE = "spBv1.0";
    private final String base;
    private final String edge;

    SparkplugTopics(String group, String edgeNode) {
        this.base = NAMESPACE + "/" + group + "/";
        this.edge = edgeNode;
    }

    String node(String type) {
        return base + type + "/" + edge;
    }

    /** Sparkplug 3.0: {@code spBv1.0/STATE/<host id>}, retained, {@code {"online":…,"timestamp":…}}. */
    static String state(String hostId) {
        return NAMESPACE + "/STATE/" + hostId;
    }

    String device(String type, String device) {
        return base + type + "/" + edge + "/" + device;
    }
}
