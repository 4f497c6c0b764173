package io.etlstream.catalog;

import java.time.Instant;

/**
 * A Snowflake account and target schema the engine writes to. {@code keyAlias} names the vault entry
 * holding the private key; the key itself never enters the catalog. Either {@code account} or
 * {@code url} (e.g. the emulator's {@code http://127.0.0.1:PORT}) identifies the endpoint. A draft has
 * {@code id == 0}.
 */
public record Destination(
        long id,
        String name,
        String account,
        String url,
        String userName,
        String roleName,
        String warehouse,
        String databaseName,
        String schemaName,
        String keyAlias,
        Instant createdAt,
        Instant updatedAt) {

    public Destination {
        Names.requireName(name, "destination");
        if ((account == null || account.isBlank()) && (url == null || url.isBlank())) {
            throw new IllegalArgumentException("destination needs an account or a url");
        }
        Names.requireText(userName, "user name");
        Names.requireText(roleName, "role name");
        Names.requireText(databaseName, "database name");
        Names.requireText(schemaName, "schema name");
        Names.requireText(keyAlias, "key alias");
    }

    /** A destination to add, without warehouse. */
    public static Destination draft(String name, String account, String url, String userName, String roleName,
                                    String databaseName, String schemaName, String keyAlias) {
        return new Destination(0, name, account, url, userName, roleName, null, databaseName, schemaName, keyAlias,
                null, null);
    }

    public Destination withWarehouse(String newWarehouse) {
        return new Destination(id, name, account, url, userName, roleName, newWarehouse, databaseName, schemaName,
                keyAlias, createdAt, updatedAt);
    }

    public Destination withKeyAlias(String alias) {
        return new Destination(id, name, account, url, userName, roleName, warehouse, databaseName, schemaName,
                alias, createdAt, updatedAt);
    }
}
