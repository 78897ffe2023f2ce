package io.jshim.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A bundle directory whose config.json is runc's spec template (from make-rootfs.sh) with
 * process.args replaced, root.path the shared rootfs and root.readonly and terminal forced.
 * String edits are enough because the template is the fixed output of `runc spec`; every
 * edit checks that it matched exactly once.
 */
final class Bundle {
    final Path dir;

    private Bundle(Path dir) {
        this.dir = dir;
    }

    static Bundle create(Path dir, Path rootfsDir, List<String> args) throws IOException {
        String template = Files.readString(rootfsDir.resolve("config.template.json"), StandardCharsets.UTF_8);
        String config = render(template, rootfsDir.resolve("rootfs").toAbsolutePath().toString(), args);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config, StandardCharsets.UTF_8);
        return new Bundle(dir);
    }

    /** The config text for the given rootfs path and process args. */
    static String render(String template, String rootfsPath, List<String> args) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("process.args must not be empty");
        }
        String quotedArgs = args.stream().map(Json::quote).collect(Collectors.joining(", "));
        String c = replaceOnce(template, "\"args\":\\s*\\[[^\\]]*\\]", "\"args\": [" + quotedArgs + "]");
        c = replaceOnce(c, "\"terminal\":\\s*(true|false)", "\"terminal\": false");
        c = replaceOnce(c, "\"root\":\\s*\\{[^}]*\\}",
                "\"root\": {\"path\": " + Json.quote(rootfsPath) + ", \"readonly\": true}");
        return c;
    }

    private static String replaceOnce(String text, String regex, String replacement) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new IllegalArgumentException("config template: no match for " + regex);
        }
        int start = m.start();
        int end = m.end();
        if (m.find()) {
            throw new IllegalArgumentException("config template: more than one match for " + regex);
        }
        return text.substring(0, start) + replacement + text.substring(end);
    }

    Path config() {
        return dir.resolve("config.json");
    }

    Path shimPidfile() {
        return dir.resolve("shimmy.pid");
    }

    Path containerPidfile() {
        return dir.resolve("container.pid");
    }
}
