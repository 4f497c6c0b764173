package io.etlstream.testkit.pg;

import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Resolves {@link PgDatabase} parameters: a fresh database per test class (and per version), on the JVM's shared
 * cluster of the version chosen by {@link Pg} or else the first of {@code etl.test.pg.versions}.
 * Use {@link AllPgVersions} to run a parameterised test on every configured version.
 */
public final class PostgresExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(PostgresExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
        return pc.getParameter().getType() == PgDatabase.class
                && !pc.getDeclaringExecutable().isAnnotationPresent(org.junit.jupiter.params.ParameterizedTest.class);
    }

    @Override
    public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
        int version = versionFor(ec);
        ExtensionContext classContext = ec.getRoot() == ec ? ec : classContext(ec);
        return classContext.getStore(NS).getOrComputeIfAbsent("db-" + version,
                k -> PgClusters.shared(version).createDatabase(classContext.getRequiredTestClass().getSimpleName()),
                PgDatabase.class);
    }

    private static ExtensionContext classContext(ExtensionContext ec) {
        ExtensionContext c = ec;
        while (c.getParent().isPresent() && c.getTestMethod().isPresent()) {
            c = c.getParent().get();
        }
        return c;
    }

    private static int versionFor(ExtensionContext ec) {
        Optional<Pg> onMethod = ec.getTestMethod().flatMap(m -> AnnotationSupport.findAnnotation(m, Pg.class));
        if (onMethod.isPresent()) {
            return onMethod.get().version();
        }
        Optional<Pg> onClass = ec.getTestClass().flatMap(c -> AnnotationSupport.findAnnotation(c, Pg.class));
        return onClass.map(Pg::version).orElseGet(() -> PgClusters.configuredVersions().get(0));
    }
}
