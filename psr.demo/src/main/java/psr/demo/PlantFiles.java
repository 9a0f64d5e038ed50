package psr.demo;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The plant on disk: one data directory per controller under the demo directory, each with a deploy folder holding
 * what an operator would put there by hand: the UDP transport's configuration (peers on 127.0.0.1, free ports picked
 * at each start), the cluster key in a file only the owner may read, the configurations of parts {@code tank} (first
 * primary node 1) and {@code alarms} (first primary node 2), the MQTT bridge's configuration, and the example
 * application bundle. Every file is written mode 600 and every directory 700, as on a controller.
 */
final class PlantFiles {
    static final List<Integer> NODES = List.of(1, 2, 3);
    /** The bridge's cluster name: topics are {@code psr/demo/<part>/<key>}. */
    static final String CLUSTER = "demo";
    static final String TOPIC_PREFIX = "psr/" + CLUSTER;
    /** The parts and the order of their replicas: the first is the part's first primary. */
    static final Map<String, String> PARTS = parts();
    static final String APP_BUNDLE = "psr.example.tank.jar";

    private final Path root;

    private static Map<String, String> parts() {
        Map<String, String> parts = new LinkedHashMap<>();
        parts.put("tank", "1,2,3");
        parts.put("alarms", "2,3,1");
        return java.util.Collections.unmodifiableMap(parts);
    }

    PlantFiles(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    Path data(int node) {
        return root.resolve("node" + node);
    }

    Path deploy(int node) {
        return data(node).resolve("deploy");
    }

    Path consoleLog(int node) {
        return data(node).resolve("console.log");
    }

    /**
     * Creates the directories; with {@code fresh}, first deletes what an earlier run made there (the node directories
     * and the broker log, nothing else in the directory). Refuses when a controller still runs on one of them.
     */
    void prepare(boolean fresh) throws IOException {
        for (int n : NODES) refuseWhenInUse(data(n));
        if (fresh) {
            for (Path mine : List.of(data(1), data(2), data(3), root.resolve("broker.log"))) {
                if (!Files.exists(mine)) continue;
                try (Stream<Path> files = Files.walk(mine)) {
                    for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
                }
            }
        }
        privateDirectory(root);
        for (int n : NODES) {
            privateDirectory(data(n));
            privateDirectory(deploy(n));
        }
    }

    /**
     * Writes every controller's configuration for this run: UDP ports (picked now), the broker, the key (generated on
     * the first run and kept, like a plant's), the parts and the bridge; copies the application bundle.
     */
    void write(Map<Integer, Integer> udpPorts, URI broker, Path appBundle) throws IOException {
        StringBuilder peers = new StringBuilder();
        for (int n : NODES) peers.append(peers.length() > 0 ? ", " : "").append(n).append("=127.0.0.1:").append(udpPorts.get(n));
        String key = clusterKey();
        for (int n : NODES) {
            Path keys = data(n).resolve("transport.keys");
            writePrivate(keys, "# the cluster key of the demo plant (generated; each controller holds a copy)\n1=hex:" + key + "\n");
            writePrivate(deploy(n).resolve("psr.transport.udp.cfg"), "node.id = " + n + "\ncluster.id = 1\npeers = " + peers
                    + "\nkeys.file = " + keys + "\nsocket.receive.buffer.bytes = 4194304\n");
            for (Map.Entry<String, String> part : PARTS.entrySet()) {
                writePrivate(deploy(n).resolve("psr.part-" + part.getKey() + ".cfg"), "part = " + part.getKey() + "\nnode = " + n
                        + "\nreplicas = " + part.getValue() + "\nstorage.directory = " + data(n).resolve("storage").resolve(part.getKey()) + "\n");
            }
            writePrivate(deploy(n).resolve("psr.bridge.mqtt-demo.cfg"), "cluster = " + CLUSTER + "\nnode = " + n + "\nbroker.uris = " + broker
                    + "\n# an MQTT client may set the tank's level setpoint: psr/demo/tank/setpoint/set {\"value\":1.8,\"type\":\"double\"}\n"
                    + "commands.enabled = true\ncommands.allow = setpoint\n");
            Path bundle = deploy(n).resolve(APP_BUNDLE);
            if (!Files.exists(bundle) || Files.mismatch(bundle, appBundle) != -1) {
                Files.copy(appBundle, bundle, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(bundle, PosixFilePermissions.fromString("rw-------"));
            }
        }
    }

    /** The key in node 1's key file if an earlier run made one, else a new random 256-bit key. */
    private String clusterKey() throws IOException {
        Path existing = data(1).resolve("transport.keys");
        if (Files.isRegularFile(existing)) {
            for (String line : Files.readAllLines(existing, StandardCharsets.UTF_8)) {
                if (line.startsWith("1=hex:") && line.length() == "1=hex:".length() + 64) return line.substring("1=hex:".length());
            }
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return HexFormat.of().formatHex(key);
    }

    /** A controller (this demo's, or one left from a demo that was just killed) holds the data directory's lock. */
    private static void refuseWhenInUse(Path data) throws IOException {
        Path lock = data.resolve("psr.lock");
        if (!Files.exists(lock)) return;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(lock, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.channels.FileLock l = ch.tryLock();
            if (l == null) {
                throw new IOException("a PSR controller still runs on " + data + " (" + Files.readString(lock).strip() + " holds " + lock
                        + "); stop it, or give the demo another --dir. Nothing was changed");
            }
            l.release();
        }
    }

    /** Free UDP ports on 127.0.0.1, one per controller (taken now, free again when the controllers bind them). */
    static Map<Integer, Integer> freeUdpPorts() throws IOException {
        Map<Integer, Integer> ports = new LinkedHashMap<>();
        List<DatagramSocket> held = new java.util.ArrayList<>();
        try {
            for (int n : NODES) {
                DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                held.add(s);
                ports.put(n, s.getLocalPort());
            }
        } finally {
            held.forEach(DatagramSocket::close);
        }
        return ports;
    }

    /** Replaces {@code file} by one created mode 600 (never readable by others, not even for a moment). */
    static void writePrivate(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    private static void privateDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
}
