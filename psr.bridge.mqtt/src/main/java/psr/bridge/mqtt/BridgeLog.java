package psr.bridge.mqtt;

/** Where the bridge reports what an operator should know (the OSGi log in a framework, a list in tests). */
interface BridgeLog {
    void info(String message);

    void warn(String message);

    void error(String message, Throwable cause);
}
