package dev.jute.agent.health;

import java.util.Locale;
import java.util.Map;

/**
 * Writes the Prometheus text exposition format (version 0.0.4): a HELP and TYPE line per metric family,
 * then its samples. Label values are escaped as the format requires.
 */
public final class PrometheusText {

    private final StringBuilder text = new StringBuilder(4096);

    public PrometheusText family(String name, String type, String help) {
        text.append("# HELP ").append(name).append(' ').append(help.replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
        text.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    public PrometheusText sample(String name, Map<String, String> labels, double value) {
        text.append(name);
        if (!labels.isEmpty()) {
            text.append('{');
            boolean first = true;
            for (Map.Entry<String, String> label : labels.entrySet()) {
                if (!first) {
                    text.append(',');
                }
                first = false;
                text.append(label.getKey()).append("=\"").append(escape(label.getValue())).append('"');
            }
            text.append('}');
        }
        text.append(' ').append(format(value)).append('\n');
        return this;
    }

    public PrometheusText sample(String name, double value) {
        return sample(name, Map.of(), value);
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String format(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return String.format(Locale.ROOT, "%.6g", value);
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
