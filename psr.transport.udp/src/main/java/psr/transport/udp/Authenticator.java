package psr.transport.udp;

import java.security.GeneralSecurityException;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 truncated to 128 bits, one instance per thread: it keeps one initialised {@link Mac} per key and
 * an output buffer, so sealing and verifying allocate nothing.
 */
final class Authenticator {

    static final String ALGORITHM = "HmacSHA256";

    private final Mac[] macs = new Mac[256];
    private final int signingKeyId;
    private final byte[] out = new byte[32];

    Authenticator(List<Settings.Key> keys) {
        try {
            for (Settings.Key key : keys) {
                Mac mac = Mac.getInstance(ALGORITHM);
                mac.init(new SecretKeySpec(key.secret(), ALGORITHM));
                macs[key.id()] = mac;
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available in this JVM: " + e, e);
        }
        signingKeyId = keys.get(0).id();
    }

    /**
     * Writes the key id at {@code length} and the tag after it, over {@code b[0, length + 1)}; returns the datagram
     * length.
     */
    int seal(byte[] b, int length) {
        b[length] = (byte) signingKeyId;
        Mac mac = macs[signingKeyId];
        mac.update(b, 0, length + 1);
        try {
            mac.doFinal(out, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        System.arraycopy(out, 0, b, length + 1, Wire.TAG_BYTES);
        return length + Wire.TRAILER_BYTES;
    }

    /** True when the tag at {@code tagOffset} is right for {@code b[0, tagOffset)} under key {@code keyId}. */
    boolean verify(byte[] b, int tagOffset, int keyId) {
        Mac mac = macs[keyId];
        if (mac == null) {
            return false;
        }
        mac.update(b, 0, tagOffset);
        try {
            mac.doFinal(out, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        int diff = 0;
        for (int i = 0; i < Wire.TAG_BYTES; i++) {
            diff |= out[i] ^ b[tagOffset + i];
        }
        return diff == 0;
    }
}
