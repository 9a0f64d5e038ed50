package psr.consensus.part;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import psr.api.osal.DurableStorage;

/**
 * Which replica a storage directory belongs to: the file {@code owner} in it names the part, the node and the
 * cluster ({@code part=boiler}, {@code node=1}, {@code cluster=7}, one per line; the cluster is the transport's
 * {@code cluster.id}), written when the directory is first used. A configuration that points another part, another
 * node's replica or another cluster's part at a directory that already belongs to someone is refused before anything
 * is read or written, so one part can never take over another's log.
 *
 * <p>A directory with replica files but no owner file (written before owners were recorded) is claimed by the first
 * part that opens it, as before; an owner file without a cluster (written before clusters were recorded) gets the
 * cluster of the first replica that opens it.
 */
final class StorageOwner {
    static final String FILE = "owner";

    private StorageOwner() {}

    /**
     * Checks that {@code storage} belongs to {@code part} on {@code node} of {@code cluster}, claiming it when it
     * belongs to nobody yet.
     *
     * @param cluster the transport's cluster id, or null when the transport does not say (then the cluster is neither
     *                checked nor recorded)
     * @throws IOException naming the directory, its owner and what to do, when it belongs to another replica
     */
    static void claim(DurableStorage storage, String directory, String part, int node, String cluster) throws IOException {
        byte[] existing = storage.read(FILE);
        if (existing == null) {
            storage.replace(FILE, text(part, node, cluster));
            return;
        }
        Map<String, String> owner = parse(new String(existing, StandardCharsets.UTF_8));
        String ownerPart = owner.get("part");
        String ownerNode = owner.get("node");
        if (ownerPart == null || ownerNode == null) {
            throw new IOException("storage directory " + directory + " has an unreadable owner file (" + FILE + "): expected the lines"
                    + " part=<name> and node=<id>; not starting part " + part + " on it");
        }
        if (!ownerPart.equals(part) || !ownerNode.equals(String.valueOf(node))) {
            throw new IOException("storage directory " + directory + " belongs to part " + ownerPart + " on node " + ownerNode
                    + ", not to part " + part + " on node " + node + ": give each part its own storage.directory (nothing was changed)");
        }
        String ownerCluster = owner.get("cluster");
        if (cluster == null) return;
        if (ownerCluster == null) {
            storage.replace(FILE, text(part, node, cluster));
        } else if (!ownerCluster.equals(cluster)) {
            throw new IOException("storage directory " + directory + " belongs to part " + part + " on node " + node + " of cluster "
                    + ownerCluster + ", not of cluster " + cluster + " (the transport's cluster.id): a controller moved to another"
                    + " cluster needs new storage directories, or the old cluster.id (nothing was changed)");
        }
    }

    private static byte[] text(String part, int node, String cluster) {
        return ("part=" + part + "\nnode=" + node + "\n" + (cluster == null ? "" : "cluster=" + cluster + "\n")).getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, String> parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) out.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
        }
        return out;
    }
}
