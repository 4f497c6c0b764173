package io.etlstream.testkit.pg;

import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;

/**
 * Supplies a fresh {@link PgDatabase} on every configured PostgreSQL version:
 * {@code @ParameterizedTest @ArgumentsSource(AllPgVersions.class) void t(PgDatabase db)}.
 */
public final class AllPgVersions implements ArgumentsProvider {
    @Override
    public Stream<? extends Arguments> provideArguments(ExtensionContext context) {
        String prefix = context.getRequiredTestClass().getSimpleName() + "_" + context.getRequiredTestMethod().getName();
        return PgClusters.configuredVersions().stream()
                .map(v -> Arguments.of(PgClusters.shared(v).createDatabase(prefix)));
    }
}
