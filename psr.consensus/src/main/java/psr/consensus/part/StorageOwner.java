package psr.consensus.part;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import psr.api.osal.DurableStorage;

/**
 * Which replica a storage directory belongs to: the file {@code owner} in it names the part and the node
 * ({@code part=boiler}, {@code node=1}, one per line), written when the directory is first used. A configuration
 * that points another part, or another node's replica, at a directory that already belongs to someone is refused
 * before anything is read or written, so one part can never take over another's log.
 *
 * <p>A directory with replica files but no owner file (written before owners were recorded) is claimed by the first
 * part that opens it, as before.
 */
final class StorageOwner {
    static final String FILE = "owner";

    private StorageOwner() {}

    /**
     * Checks that {@code storage} belongs to {@code part} on {@code node}, claiming it when it belongs to nobody yet.
     *
     * @throws IOException naming the directory, its owner and what to do, when it belongs to another replica
     */
    static void claim(DurableStorage storage, String directory, String part, int node) throws IOException {
        byte[] existing = storage.read(FILE);
        if (existing == null) {
            storage.replace(FILE, ("part=" + part + "\nnode=" + node + "\n").getBytes(StandardCharsets.UTF_8));
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
