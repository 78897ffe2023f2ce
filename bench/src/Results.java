import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Raw samples (appended to samples.csv as they are taken), notes, and their statistics. */
final class Results {
    record Stat(double median, double min, double max, int n) {}

    private final Path csv;
    private final Map<String, List<Double>> samples = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    Results(Path dir) throws IOException {
        this.csv = dir.resolve("samples.csv");
        Files.writeString(csv, "phase,variant,param,run,metric,value\n");
    }

    private static String key(String phase, String variant, String param, String metric) {
        return phase + "|" + variant + "|" + param + "|" + metric;
    }

    synchronized void add(String phase, String variant, String param, int run, String metric, double value) {
        samples.computeIfAbsent(key(phase, variant, param, metric), k -> new ArrayList<>()).add(value);
        String line = String.join(",", phase, variant, param, Integer.toString(run), metric,
                                  String.format(Locale.ROOT, "%.10g", value)) + "\n";
        try {
            Files.writeString(csv, line, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A problem worth showing under the table (deduplicated, first 40 kept). */
    synchronized void note(String text) {
        System.err.println("bench: " + text);
        if (!notes.contains(text) && notes.size() < 40) notes.add(text);
    }

    synchronized List<String> notes() {
        return List.copyOf(notes);
    }

    synchronized Stat stat(String phase, String variant, String param, String metric) {
        List<Double> v = samples.get(key(phase, variant, param, metric));
        if (v == null || v.isEmpty()) return null;
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = a.length;
        double med = n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
        return new Stat(med, a[0], a[n - 1], n);
    }

    synchronized double sum(String phase, String variant, String param, String metric) {
        List<Double> v = samples.get(key(phase, variant, param, metric));
        return v == null ? 0 : v.stream().mapToDouble(Double::doubleValue).sum();
    }

    /** "median (min–max)" with values divided by scale, or "–" if there are no samples. */
    String cell(String phase, String variant, String param, String metric, double scale, int decimals) {
        Stat s = stat(phase, variant, param, metric);
        if (s == null) return "–";
        String f = "%." + decimals + "f";
        String med = String.format(Locale.ROOT, f, s.median() / scale);
        if (s.n() == 1) return med;
        return med + " (" + String.format(Locale.ROOT, f, s.min() / scale) + "–"
            + String.format(Locale.ROOT, f, s.max() / scale) + ")";
    }

    /** Median or NaN. */
    double median(String phase, String variant, String param, String metric) {
        Stat s = stat(phase, variant, param, metric);
        return s == null ? Double.NaN : s.median();
    }

    static String row(String... cells) {
        return "| " + String.join(" | ", Arrays.asList(cells)) + " |\n";
    }
}
