package psr.api.state;

/**
 * The operation was sent but no answer came within the request timeout: it may or may not have committed.
 * Read the state to find out before repeating a non-idempotent operation.
 */
public class OutcomeUnknownException extends StateException {
    private static final long serialVersionUID = 1L;

    public OutcomeUnknownException(String message) {
        super(message);
    }
}
