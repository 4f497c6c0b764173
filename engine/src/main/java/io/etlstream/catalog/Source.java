package io.etlstream.catalog;

import java.time.Instant;
import java.util.Objects;

/**
 * A PostgreSQL database the engine reads from. Holds no password: {@code passwordAlias} names the
 * vault entry (null = no password, e.g. trust or certificate auth). A draft has {@code id == 0}.
 */
public record Source(
        long id,
        String name,
        String host,
        int port,
        String databaseName,
        String userName,
        SslMode sslMode,
        String sslRootCert,
        String passwordAlias,
        Instant createdAt,
        Instant updatedAt) {

    public Source {
        Names.requireName(name, "source");
        Names.requireText(host, "host");
        Names.requireText(databaseName, "database name");
        Names.requireText(userName, "user name");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, was " + port);
        }
        Objects.requireNonNull(sslMode, "sslMode");
    }

    /** A source to add: sslmode {@code prefer}, no root certificate, no password alias. */
    public static Source draft(String name, String host, int port, String databaseName, String userName) {
        return new Source(0, name, host, port, databaseName, userName, SslMode.PREFER, null, null, null, null);
    }

    public Source withSsl(SslMode mode, String rootCertPath) {
        return new Source(id, name, host, port, databaseName, userName, mode, rootCertPath, passwordAlias,
                createdAt, updatedAt);
    }

    public Source withPasswordAlias(String alias) {
        return new Source(id, name, host, port, databaseName, userName, sslMode, sslRootCert, alias,
                createdAt, updatedAt);
    }

    public Source withEndpoint(String newHost, int newPort, String newDatabase, String newUser) {
        return new Source(id, name, newHost, newPort, newDatabase, newUser, sslMode, sslRootCert, passwordAlias,
                createdAt, updatedAt);
    }
}
