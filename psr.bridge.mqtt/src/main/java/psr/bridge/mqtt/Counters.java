package psr.bridge.mqtt;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/** Named event counters, for the shell and tests; any thread may count. */
final class Counters {
    private final ConcurrentSkipListMap<String, LongAdder> counts = new ConcurrentSkipListMap<>();

    Counters(String... names) {
        for (String n : names) counts.put(n, new LongAdder());
    }

    void add(String name) {
        add(name, 1);
    }

    void add(String name, long n) {
        counts.computeIfAbsent(name, k -> new LongAdder()).add(n);
    }

    long get(String name) {
        LongAdder a = counts.get(name);
        return a == null ? 0 : a.sum();
    }

    Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
