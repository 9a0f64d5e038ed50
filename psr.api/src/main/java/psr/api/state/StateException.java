package psr.api.state;

/**
 * Why an operation or read did not complete. A {@code StateException} from {@link PartState#submit} means the
 * operation did not commit, except for {@link OutcomeUnknownException}.
 */
public class StateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StateException(String message) {
        super(message);
    }

    public StateException(String message, Throwable cause) {
        super(message, cause);
    }
}
