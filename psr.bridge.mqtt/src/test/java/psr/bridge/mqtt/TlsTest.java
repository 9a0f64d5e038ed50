package psr.bridge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static psr.bridge.mqtt.PlainBridgeTest.BASE;
import static psr.bridge.mqtt.Subscriber.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import psr.api.state.Operation;
import psr.api.state.Value;

/**
 * TLS against mosquitto with a test CA made by openssl for this run: a listener that requires a client certificate,
 * and a plain one for the test's subscriber. The bridge with the CA and its certificate publishes; without its
 * certificate it cannot connect and publishes nothing; bad TLS files are bad settings.
 */
class TlsTest {
    @TempDir
    Path dir;

    void openssl(String... args) throws Exception {
        if (!new File("/usr/bin/openssl").canExecute()) {
            String how = "openssl is not installed (apt-get install -y openssl)";
            if ("true".equals(System.getenv("CI"))) throw new AssertionError(how);
            org.junit.jupiter.api.Assumptions.abort(how);
        }
        List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl " + String.join(" ", args) + ": " + out);
    }

    void makeCertificates() throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=psr-test-ca");
        Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1\n");
        for (String who : new String[] {"server", "client"}) {
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", who + ".key", "-out", who + ".csr", "-subj", "/CN=" + (who.equals("server") ? "127.0.0.1" : "psr-bridge"));
            if (who.equals("server")) {
                openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "server.ext");
            } else {
                openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.crt", "-days", "2");
            }
        }
        // mosquitto started as root drops to its own user before it reads these: let it (test keys only).
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    @Test
    void theBridgePublishesOverTlsWithItsClientCertificateAndNotWithout() throws Exception {
        makeCertificates();
        int tlsPort = TestBroker.freePort();
        String extra = "listener " + tlsPort + " 127.0.0.1\ncafile " + dir.resolve("ca.crt") + "\ncertfile " + dir.resolve("server.crt")
                + "\nkeyfile " + dir.resolve("server.key") + "\nrequire_certificate true\n";
        try (TestBroker.Mosquitto broker = new TestBroker.Mosquitto(extra)) {
            broker.start();
            String tlsUri = "ssl://127.0.0.1:" + tlsPort;
            try (TestCluster c = new TestCluster(tlsUri).startReplicas();
                    Subscriber s = new Subscriber(broker.uri(), "scada-tls", "psr/plant/#")) {
                int p = c.awaitPrimary();
                int other = p == 1 ? 2 : 1;
                Map<String, Object> tls = Map.of("tls.ca.file", dir.resolve("ca.crt").toString(), "tls.cert.file", dir.resolve("client.crt").toString(),
                        "tls.key.file", dir.resolve("client.key").toString());
                c.startBridge(p, tls);
                c.startBridge(other, Map.of("tls.ca.file", dir.resolve("ca.crt").toString())); // no client certificate
                PlainBridgeTest.commit(c.replicas[p], Operation.put("level", Value.ofInt32(9)));
                await("published over TLS", () -> s.current().getOrDefault(BASE + "level", "").contains("\"value\":9,"));
                await("the bridge without a certificate is refused", () -> c.bridges[other].counters().get("connect.failures") >= 2);
                assertEquals(0, c.bridges[other].counters().get("connects"));
                assertEquals("online", s.current().get("psr/plant/$nodes/" + p));
                assertTrue(!s.current().containsKey("psr/plant/$nodes/" + other), s.current().toString());
            }
        }
    }

    @Test
    void badTlsFilesAreBadSettings() throws Exception {
        Map<String, Object> p = new HashMap<>(BridgeSettingsTest.good());
        p.put("broker.uris", "ssl://127.0.0.1:8883");
        p.put("tls.ca.file", dir.resolve("missing.crt").toString());
        String m = assertThrows(BridgeSettings.BadSetting.class, () -> BridgeSettings.from(p)).getMessage();
        assertTrue(m.startsWith("property tls.ca.file = '" + dir.resolve("missing.crt") + "' is not allowed: expected a readable PEM file with certificates"), m);
        Files.writeString(dir.resolve("key.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        Files.writeString(dir.resolve("empty.crt"), "");
        p.remove("tls.ca.file");
        p.put("tls.cert.file", dir.resolve("empty.crt").toString());
        m = assertThrows(BridgeSettings.BadSetting.class, () -> BridgeSettings.from(p)).getMessage();
        assertTrue(m.contains("property tls.key.file = '' is not allowed: expected both tls.cert.file and tls.key.file, or neither"), m);
        p.put("tls.key.file", dir.resolve("key.pem").toString());
        m = assertThrows(BridgeSettings.BadSetting.class, () -> BridgeSettings.from(p)).getMessage();
        assertTrue(m.contains("tls.cert.file") && m.contains("at least one certificate"), m);
        p.put("broker.uris", "tcp://127.0.0.1:1883");
        m = assertThrows(BridgeSettings.BadSetting.class, () -> BridgeSettings.from(p)).getMessage();
        assertTrue(m.contains("expected ssl:// URIs when tls.ca.file or tls.cert.file is set"), m);
    }
}
