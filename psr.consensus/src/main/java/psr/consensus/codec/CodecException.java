package psr.consensus.codec;

/**
 * A message could not be encoded or decoded: the bytes are malformed or exceed a configured limit, or the
 * message holds a value the wire format cannot carry. The message text names the message type, the field,
 * what was found and what would have been right, for example
 * {@code "DoViewChange: log length 70000 exceeds the limit 65536"}.
 *
 * <p>Unchecked, like {@link IllegalArgumentException}: a receiver catches it, counts the drop and carries
 * on; malformed input never surfaces as any other exception.
 */
public final class CodecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CodecException(String message) {
        super(message);
    }
}
