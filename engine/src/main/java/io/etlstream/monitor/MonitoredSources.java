package io.etlstream.monitor;

import java.util.List;

/** The sources that exist right now (normally read from the catalog); the monitor reconciles with it every tick. */
@FunctionalInterface
public interface MonitoredSources {
    List<ProbeTarget> current();
}
