package io.etlstream.cli;

import io.etlstream.UserFacingException;
import io.etlstream.catalog.Catalog;
import io.etlstream.catalog.Destination;
import io.etlstream.sink.FlushLimiter;
import io.etlstream.sink.snowflake.SnowflakeAccount;
import io.etlstream.sink.snowflake.SnowflakeDestination;
import io.etlstream.sink.snowflake.SnowflakeName;
import io.etlstream.sink.snowflake.SnowpipeTuning;
import io.etlstream.vault.Vault;
import java.io.PrintWriter;
import java.net.URI;
import java.security.PrivateKey;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code etl-stream destination add|list|show|test|remove}: the Snowflake destinations this engine writes to. */
@Command(name = "destination", description = "Manage Snowflake destinations.", mixinStandardHelpOptions = true,
        subcommands = {DestinationCommand.Add.class, DestinationCommand.ListDestinations.class,
                DestinationCommand.Show.class, DestinationCommand.Test.class, DestinationCommand.Remove.class})
public final class DestinationCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    static Catalog catalog(CommandSpec spec) {
        return Catalog.open(EtlStreamCommand.of(spec).home());
    }

    static String endpoint(Destination d) {
        return SnowflakeDestination.endpoint(d).toString();
    }

    /** Where the account is: its identifier, or a URL (a private link, or the emulator). */
    static final class Where {
        @Option(names = "--account", paramLabel = "ORG-ACCOUNT", required = true,
                description = "Account identifier, e.g. myorg-myaccount (https://ORG-ACCOUNT.snowflakecomputing.com).")
        String account;

        @Option(names = "--url", paramLabel = "URL", required = true,
                description = "Full endpoint URL instead of --account, e.g. http://127.0.0.1:8123 for the emulator.")
        URI url;
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a destination. The private key stays"
            + " in the vault: --key names its alias (see 'etl-stream key generate').")
    static final class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Where where;

        @Option(names = "--user", required = true, paramLabel = "USER")
        String user;

        @Option(names = "--role", required = true, paramLabel = "ROLE")
        String role;

        @Option(names = "--warehouse", paramLabel = "WAREHOUSE", description = "Warehouse for the mirror MERGEs.")
        String warehouse;

        @Option(names = "--database", required = true, paramLabel = "DATABASE")
        String database;

        @Option(names = "--schema", required = true, paramLabel = "SCHEMA")
        String schema;

        @Option(names = "--key", required = true, paramLabel = "ALIAS", description = "Vault alias of the private key.")
        String key;

        @Override
        public Integer call() {
            String account = where.account;
            String url = null;
            try {
                if (account != null) {
                    SnowflakeAccount.urlForAccount(account);
                } else {
                    new SnowflakeAccount(where.url, user, role);
                    url = where.url.toString();
                }
                SnowflakeName.fromUser(database);
                SnowflakeName.fromUser(schema);
            } catch (IllegalArgumentException e) {
                throw new UserFacingException(e.getMessage());
            }
            try (Catalog catalog = catalog(spec)) {
                if (catalog.destinations().find(name).isPresent()) {
                    throw new UserFacingException("A destination named '" + name + "' exists already. Pick another"
                            + " name or remove it first: etl-stream destination remove " + name);
                }
                Destination d = catalog.destinations().add(Destination.draft(name, account, url, user, role, database,
                        schema, Vault.normalizeAlias(key)).withWarehouse(warehouse));
                spec.commandLine().getOut().println("Added destination " + d.name() + " (" + endpoint(d) + ", "
                        + d.databaseName() + "." + d.schemaName() + "). Check it with: etl-stream destination test "
                        + d.name());
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the destinations.")
    static final class ListDestinations implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            try (Catalog catalog = catalog(spec)) {
                listing(catalog.destinations().list()).ifEmpty("No destinations yet. Add one with: etl-stream"
                        + " destination add NAME --account ORG-ACCOUNT --user U --role R --database D --schema S"
                        + " --key ALIAS").print(spec, json);
            }
            return 0;
        }
    }

    static Listing<Destination> listing(List<Destination> ds) {
        return Listing.of(ds)
                .column("name", Destination::name)
                .column("endpoint", DestinationCommand::endpoint)
                .column("user", Destination::userName)
                .column("role", Destination::roleName)
                .column("warehouse", Destination::warehouse)
                .column("database", Destination::databaseName)
                .column("schema", Destination::schemaName)
                .column("key", Destination::keyAlias);
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one destination.")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            try (Catalog catalog = catalog(spec)) {
                Destination d = catalog.destinations().require(name);
                listing(List.of(d)).column("created_at", Destination::createdAt).print(spec, json);
            }
            return 0;
        }
    }

    @Command(name = "test", mixinStandardHelpOptions = true, description = "Run one SQL API statement, then open a"
            + " channel on the scratch table ETL_STREAM_CONNECTION_TEST and wait for one row to commit.")
    static final class Test implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Mixin
        VaultCommand.MasterPassword master;

        @Override
        public Integer call() throws Exception {
            Destination d;
            try (Catalog catalog = catalog(spec)) {
                d = catalog.destinations().require(name);
            }
            PrintWriter out = spec.commandLine().getOut();
            try (Vault vault = VaultCommand.unlocked(spec, master, SecretInput.system())) {
                if (!vault.hasKey(d.keyAlias())) {
                    throw new UserFacingException("The vault has no key '" + d.keyAlias() + "'. Create it with:"
                            + " etl-stream key generate " + d.keyAlias() + " (then register its public key with ALTER"
                            + " USER), or import one with: etl-stream key import " + d.keyAlias() + " FILE");
                }
                PrivateKey key = vault.privateKey(d.keyAlias());
                try (SnowflakeDestination dest = SnowflakeDestination.open(d, key, SnowpipeTuning.DEFAULT,
                        new FlushLimiter(1))) {
                    SnowflakeDestination.TestReport r = dest.test();
                    out.println("Destination " + d.name() + " at " + r.endpoint() + " is OK: SQL API "
                            + r.sqlApi().toMillis() + " ms, Snowpipe Streaming channel commit "
                            + r.channel().toMillis() + " ms.");
                }
            }
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a destination (refused while"
            + " pipelines use it). Tables in Snowflake are left as they are.")
    static final class Remove implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            try (Catalog catalog = catalog(spec)) {
                if (!catalog.destinations().remove(name)) {
                    throw new UserFacingException("There is no destination named '" + name + "'. See: etl-stream"
                            + " destination list");
                }
            }
            spec.commandLine().getOut().println("Removed destination " + name + ". Its Snowflake tables were not"
                    + " touched.");
            return 0;
        }
    }
}
