package psr.bridge.mqtt;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS socket factory for {@code ssl://} brokers, from PEM files: the CA certificates to trust (else the JVM's
 * default trust store) and optionally a client certificate chain with its unencrypted PKCS#8 key. Read once when the
 * configuration is checked, so a missing or unreadable file is a bad setting, not a failing connection later.
 */
final class Tls {
    private Tls() {}

    static SSLSocketFactory socketFactory(String caFile, String certFile, String keyFile) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            TrustManagerFactory tmf = null;
            if (!caFile.isEmpty()) {
                KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
                trust.load(null, null);
                int i = 0;
                for (Certificate c : certificates("tls.ca.file", caFile)) trust.setCertificateEntry("ca" + i++, c);
                tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trust);
            }
            KeyManagerFactory kmf = null;
            if (!certFile.isEmpty()) {
                Collection<? extends Certificate> chain = certificates("tls.cert.file", certFile);
                PrivateKey key = privateKey(keyFile);
                KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
                keys.load(null, null);
                char[] none = new char[0];
                keys.setKeyEntry("client", key, none, chain.toArray(new Certificate[0]));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, none);
            }
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
            return context.getSocketFactory();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("TLS context: " + e.getMessage(), e);
        }
    }

    private static Collection<? extends Certificate> certificates(String property, String file) {
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) throw new BridgeSettings.BadSetting(property, file, "a PEM file with at least one certificate (it holds none)");
            return certs;
        } catch (IOException e) {
            throw new BridgeSettings.BadSetting(property, file, "a readable PEM file with certificates (" + e + ")");
        } catch (GeneralSecurityException e) {
            throw new BridgeSettings.BadSetting(property, file, "a PEM file with X.509 certificates (" + e.getMessage() + ")");
        }
    }

    private static PrivateKey privateKey(String file) {
        String text;
        try {
            text = Files.readString(Path.of(file), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new BridgeSettings.BadSetting("tls.key.file", file, "a readable PEM file with the client certificate's key (" + e + ")");
        }
        String begin = "-----BEGIN PRIVATE KEY-----", end = "-----END PRIVATE KEY-----";
        int b = text.indexOf(begin), e = text.indexOf(end);
        if (b < 0 || e < b) {
            throw new BridgeSettings.BadSetting("tls.key.file", file, "an unencrypted PKCS#8 PEM key (-----BEGIN PRIVATE KEY-----; convert with openssl pkcs8 -topk8 -nocrypt)");
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException ignored) {
                // try the next algorithm
            }
        }
        throw new BridgeSettings.BadSetting("tls.key.file", file, "an RSA, EC or Ed25519 key in PKCS#8");
    }
}
