package psr.osal.linux;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.service.log.Logger;

/** An OSGi {@link Logger} for unit tests that records "level: format" for each call. */
final class TestLogger {

    final List<String> lines = new CopyOnWriteArrayList<>();

    Logger logger() {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "trace", "debug", "info", "warn", "error", "audit" -> {
                            lines.add(method.getName() + ": " + args[0]);
                            return null;
                        }
                        case "getName" -> {
                            return "test";
                        }
                        case "toString" -> {
                            return "test logger";
                        }
                        default -> {
                            return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
                        }
                    }
                });
    }
}
