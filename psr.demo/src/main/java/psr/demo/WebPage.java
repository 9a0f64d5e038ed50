package psr.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The demo's web page, on 127.0.0.1 only (JDK HTTP server): {@code /} is {@code plant.html} (the tank's trend with
 * failovers marked, and the cluster), which polls {@code /state.json?since=T} once a second for what {@link PlantView}
 * holds: the trend samples newer than T (epoch ms), markers, controllers, replicas and part summaries. Read-only.
 */
final class WebPage implements AutoCloseable {
    private final HttpServer server;
    private final PlantView view;
    private final String broker;

    WebPage(int wanted, boolean wantedIsDefault, PlantView view, String broker) throws IOException {
        this.view = view;
        this.broker = broker;
        HttpServer s;
        try {
            s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), wanted), 16);
        } catch (IOException e) {
            if (!wantedIsDefault) throw new IOException("web port " + wanted + " on 127.0.0.1 is in use (" + e.getMessage() + "); give another with --web-port");
            s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        }
        server = s;
        server.createContext("/", this::page);
        server.createContext("/state.json", this::state);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "psr-demo-web");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    private void page(HttpExchange exchange) throws IOException {
        if (!exchange.getRequestURI().getPath().equals("/")) {
            send(exchange, 404, "text/plain", "not found: try /".getBytes(StandardCharsets.UTF_8));
            return;
        }
        try (InputStream in = WebPage.class.getResourceAsStream("plant.html")) {
            send(exchange, 200, "text/html; charset=utf-8", in.readAllBytes());
        }
    }

    private void state(HttpExchange exchange) throws IOException {
        long since = 0;
        String query = exchange.getRequestURI().getQuery();
        if (query != null && query.startsWith("since=")) {
            try {
                since = Long.parseLong(query.substring("since=".length()));
            } catch (NumberFormatException e) {
                send(exchange, 400, "text/plain", ("since=" + query.substring(6) + " is not a time in epoch ms").getBytes(StandardCharsets.UTF_8));
                return;
            }
        }
        send(exchange, 200, "application/json", stateJson(since).getBytes(StandardCharsets.UTF_8));
    }

    String stateJson(long since) {
        StringBuilder b = new StringBuilder(4096);
        b.append("{\"now\":").append(System.currentTimeMillis()).append(",\"broker\":").append(FlatJson.quote(broker));
        b.append(",\"trendMs\":").append(PlantView.TREND_MS).append(",\"samples\":[");
        boolean first = true;
        for (PlantView.Sample s : view.trendSince(since)) {
            b.append(first ? "" : ",").append('[').append(s.time()).append(',').append(s.cycle()).append(',').append(FlatJson.number(s.level()))
                    .append(',').append(FlatJson.number(s.valve())).append(',').append(s.pump()).append(',').append(FlatJson.number(s.setpoint())).append(']');
            first = false;
        }
        b.append("],\"markers\":[");
        first = true;
        for (PlantView.Marker m : view.markers()) {
            b.append(first ? "" : ",").append("{\"time\":").append(m.time()).append(",\"text\":").append(FlatJson.quote(m.text())).append(",\"short\":").append(FlatJson.quote(m.label()))
                    .append(",\"failover\":").append(m.failover()).append('}');
            first = false;
        }
        b.append("],\"controllers\":[");
        first = true;
        Map<Integer, String> online = view.nodesOnline();
        Map<Integer, Map<String, PlantView.ReplicaLine>> replicas = view.replicas();
        for (Map.Entry<Integer, String> c : view.controllerStates().entrySet()) {
            b.append(first ? "" : ",").append("{\"node\":").append(c.getKey()).append(",\"state\":").append(FlatJson.quote(c.getValue()))
                    .append(",\"mqtt\":").append(FlatJson.quote(online.getOrDefault(c.getKey(), "-"))).append(",\"replicas\":{");
            boolean firstPart = true;
            for (Map.Entry<String, PlantView.ReplicaLine> r : replicas.getOrDefault(c.getKey(), Map.of()).entrySet()) {
                PlantView.ReplicaLine l = r.getValue();
                b.append(firstPart ? "" : ",").append(FlatJson.quote(r.getKey())).append(":{\"role\":").append(FlatJson.quote(l.role()))
                        .append(",\"view\":").append(l.view()).append(",\"commit\":").append(l.commit()).append(",\"qc\":").append(l.quorumConnected())
                        .append(",\"peers\":").append(FlatJson.quote(l.peers())).append('}');
                firstPart = false;
            }
            b.append("}}");
            first = false;
        }
        b.append("],\"parts\":[");
        first = true;
        for (PlantView.PartSummary p : view.parts()) {
            b.append(first ? "" : ",").append("{\"part\":").append(FlatJson.quote(p.part())).append(",\"primary\":").append(p.primary())
                    .append(",\"view\":").append(p.view()).append(",\"rate\":").append(FlatJson.number(p.commitsPerSecond()))
                    .append(",\"mqtt\":").append(FlatJson.quote(p.primaryMqtt())).append(",\"summary\":").append(FlatJson.quote(StatusScreen.processValues(p)))
                    .append('}');
            first = false;
        }
        return b.append("]}").toString();
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
