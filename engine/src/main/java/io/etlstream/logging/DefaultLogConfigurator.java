package io.etlstream.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logback's configuration before {@link Logging} sets the real one, found through the service loader:
 * stderr at WARN only. Without it logback falls back to DEBUG on stdout, which would mix library chatter
 * into CLI output (e.g. --json).
 *
 * <p>Ranked between logback's own file lookup (0) and its DEBUG-on-stdout fallback (-10): a
 * logback-test.xml in another module's tests still wins, and nothing depends on such a file.
 */
@ConfiguratorRank(-5)
public final class DefaultLogConfigurator extends ContextAwareBase implements Configurator {
    @Override
    public ExecutionStatus configure(LoggerContext context) {
        Logging.configureStderrOnly(context);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
