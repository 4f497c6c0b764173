package io.etlstream.cli;

import picocli.CommandLine.Option;

/** The {@code --json} switch of listing commands; mix it in with {@code @Mixin JsonOption json;}. */
public final class JsonOption {

    @Option(names = "--json", description = "Print JSON instead of a table (stable field names, for scripts).")
    boolean json;

    public boolean enabled() {
        return json;
    }
}
