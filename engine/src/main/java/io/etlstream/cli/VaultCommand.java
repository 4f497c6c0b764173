package io.etlstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etlstream.UserFacingException;
import io.etlstream.vault.PasswordStrength;
import io.etlstream.vault.Pkcs12Facts;
import io.etlstream.vault.Secrets;
import io.etlstream.vault.Vault;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code etl-stream vault ...}: the master password and the state of the encrypted key store. */
@Command(
        name = "vault",
        description = "Create, check and re-key the encrypted vault (<home>/vault.p12).",
        mixinStandardHelpOptions = true,
        subcommands = {
            VaultCommand.Init.class,
            VaultCommand.Unlock.class,
            VaultCommand.Lock.class,
            VaultCommand.ChangePassword.class,
            VaultCommand.Status.class,
            VaultCommand.PutPassword.class,
            VaultCommand.DeletePassword.class
        })
public final class VaultCommand implements Callable<Integer> {
    static final String ENGINE_NOTE = "A running engine keeps its own vault state: it reads the master password when"
            + " it starts ('etl-stream run --password-file FILE'); locking or unlocking it over the control channel"
            + " is not supported yet.";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** The master password source shared by every command that needs it. */
    static final class MasterPassword {
        @Option(names = "--password-file", paramLabel = "FILE",
                description = "Read the master password from FILE (else: console prompt, or stdin when piped).")
        Path file;

        char[] read(SecretInput in) {
            return in.read(file, "Master password: ", "master password");
        }
    }

    static Vault openExisting(CommandSpec spec) {
        Vault vault = Vault.open(EtlStreamCommand.of(spec).home().vaultFile());
        if (!vault.exists()) {
            throw new UserFacingException("There is no vault at " + vault.file() + ". Create one with: etl-stream"
                    + " vault init");
        }
        return vault;
    }

    /** Opens and unlocks the vault for the length of one command. */
    static Vault unlocked(CommandSpec spec, MasterPassword master, SecretInput in) {
        Vault vault = openExisting(spec);
        char[] pw = master.read(in);
        try {
            vault.unlock(pw);
            return vault;
        } catch (RuntimeException e) {
            vault.close();
            throw e;
        } finally {
            Secrets.zero(pw);
        }
    }

    @Command(name = "init", description = "Create a new, empty vault protected by a master password.",
            mixinStandardHelpOptions = true)
    static final class Init implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        MasterPassword master;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (Vault vault = Vault.open(EtlStreamCommand.of(spec).home().vaultFile())) {
                if (vault.exists()) {
                    throw new UserFacingException("A vault already exists at " + vault.file() + ". Use etl-stream"
                            + " vault change-password to re-key it.");
                }
                SecretInput in = SecretInput.system();
                char[] pw = in.readNew(master.file, "New master password: ", "Repeat the master password: ",
                        "master password");
                try {
                    PasswordStrength strength = PasswordStrength.of(pw);
                    out.println("Password strength: " + strength.describe());
                    if (!strength.acceptable()) {
                        throw new UserFacingException("The master password is too short: use at least "
                                + PasswordStrength.MIN_LENGTH + " characters (a passphrase of several words is easy"
                                + " to remember). Nothing was created.");
                    }
                    vault.init(pw);
                } finally {
                    Secrets.zero(pw);
                }
                out.println("Created " + vault.file());
                out.println("Entries and MAC are protected with PBKDF2-HmacSHA256 (" + Vault.ITERATIONS
                        + " iterations) and AES-256. There is no way to recover a forgotten master password.");
            }
            return 0;
        }
    }

    @Command(name = "unlock", description = "Check the master password.", mixinStandardHelpOptions = true)
    static final class Unlock implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        MasterPassword master;

        @Override
        public Integer call() {
            try (Vault vault = openExisting(spec)) {
                char[] pw = master.read(SecretInput.system());
                try {
                    vault.verifyPassword(pw);
                } finally {
                    Secrets.zero(pw);
                }
                PrintWriter out = spec.commandLine().getOut();
                out.println("The master password is correct for " + vault.file() + ".");
                out.println("This CLI process keeps nothing unlocked after it exits. " + ENGINE_NOTE);
            }
            return 0;
        }
    }

    @Command(name = "lock", description = "Explain how locking works for a CLI process.",
            mixinStandardHelpOptions = true)
    static final class Lock implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println("Nothing to lock here: a CLI process never keeps the vault unlocked"
                    + " after it exits. " + ENGINE_NOTE);
            return 0;
        }
    }

    @Command(name = "change-password", description = "Re-encrypt every entry under a new master password.",
            mixinStandardHelpOptions = true)
    static final class ChangePassword implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        MasterPassword master;

        @Option(names = "--new-password-file", paramLabel = "FILE",
                description = "Read the new master password from FILE (else: console, or the next stdin line).")
        Path newFile;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (Vault vault = openExisting(spec)) {
                SecretInput in = SecretInput.system();
                char[] old = master.read(in);
                char[] neu = null;
                try {
                    vault.verifyPassword(old);
                    neu = in.readNew(newFile, "New master password: ", "Repeat the new master password: ",
                            "new master password");
                    PasswordStrength strength = PasswordStrength.of(neu);
                    out.println("Password strength: " + strength.describe());
                    if (!strength.acceptable()) {
                        throw new UserFacingException("The new master password is too short: use at least "
                                + PasswordStrength.MIN_LENGTH + " characters. Nothing was changed.");
                    }
                    vault.changePassword(old, neu);
                } finally {
                    Secrets.zero(old);
                    Secrets.zero(neu);
                }
                out.println("Master password changed; " + vault.entries().size() + " entries re-encrypted in "
                        + vault.file() + ".");
            }
            return 0;
        }
    }

    @Command(name = "status", description = "Show whether the vault exists, what it holds and how it is protected"
            + " (needs no password).", mixinStandardHelpOptions = true)
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            try (Vault vault = Vault.open(EtlStreamCommand.of(spec).home().vaultFile())) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode node = mapper.createObjectNode();
                node.put("file", vault.file().toString());
                node.put("exists", vault.exists());
                if (vault.exists()) {
                    Pkcs12Facts facts = vault.inspect();
                    List<Vault.Entry> entries = vault.entries();
                    long pending = entries.stream().filter(Vault.Entry::pendingRotation).count();
                    long keys = entries.stream().filter(e -> e.kind() == Vault.Kind.KEY).count() - pending;
                    long passwords = entries.stream().filter(e -> e.kind() == Vault.Kind.PASSWORD).count();
                    node.put("sizeBytes", Files.size(vault.file()));
                    String perms = permissions(vault.file());
                    if (perms != null) {
                        node.put("permissions", perms);
                    }
                    ObjectNode counts = node.putObject("entries");
                    counts.put("keys", keys);
                    counts.put("pendingRotationKeys", pending);
                    counts.put("passwords", passwords);
                    ObjectNode prot = node.putObject("protection");
                    prot.put("macDigest", facts.macDigest());
                    prot.put("macIterations", facts.macIterations());
                    prot.put("minEntryIterations", facts.bags().isEmpty() ? 0 : facts.minEntryIterations());
                    prot.put("required", Vault.ITERATIONS);
                    ArrayNode bags = prot.putArray("entries");
                    for (Pkcs12Facts.Bag b : facts.bags()) {
                        bags.addObject().put("alias", b.alias()).put("protection", b.protection())
                                .put("iterations", b.iterations());
                    }
                    boolean weak = facts.macIterations() < Vault.ITERATIONS
                            || (!facts.bags().isEmpty() && facts.minEntryIterations() < Vault.ITERATIONS);
                    prot.put("ok", !weak);
                    if (!json) {
                        out.println("Vault:       " + vault.file() + " (" + node.get("sizeBytes").asLong() + " bytes"
                                + (perms != null ? ", " + perms : "") + ")");
                        out.println("Entries:     " + keys + " key(s), " + pending + " pending rotation key(s), "
                                + passwords + " password(s)");
                        out.println("MAC:         " + facts.macDigest() + ", " + facts.macIterations() + " iterations");
                        for (Pkcs12Facts.Bag b : facts.bags()) {
                            out.println("  " + b.alias() + ": " + b.protection() + ", " + b.iterations()
                                    + " iterations");
                        }
                        if (weak) {
                            out.println("WARNING: below " + Vault.ITERATIONS + " iterations; run etl-stream vault"
                                    + " change-password to re-encrypt.");
                        }
                    }
                } else if (!json) {
                    out.println("No vault at " + vault.file() + ". Create one with: etl-stream vault init");
                }
                if (json) {
                    out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(node));
                }
            }
            return 0;
        }

        private static String permissions(Path file) {
            try {
                return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
            } catch (UnsupportedOperationException | IOException e) {
                return null;
            }
        }
    }

    @Command(name = "put-password", description = "Store a database password under an alias (the catalog keeps"
            + " only the alias).", mixinStandardHelpOptions = true)
    static final class PutPassword implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        MasterPassword master;

        @Parameters(index = "0", paramLabel = "ALIAS")
        String alias;

        @Option(names = "--secret-file", paramLabel = "FILE",
                description = "Read the database password from FILE (else: console, or the next stdin line).")
        Path secretFile;

        @Override
        public Integer call() {
            SecretInput in = SecretInput.system();
            try (Vault vault = unlocked(spec, master, in)) {
                char[] secret = in.read(secretFile, "Password to store as '" + alias + "': ", "password to store");
                try {
                    vault.putPassword(alias, secret);
                } finally {
                    Secrets.zero(secret);
                }
                spec.commandLine().getOut().println("Stored password '" + Vault.normalizeAlias(alias) + "'.");
            }
            return 0;
        }
    }

    @Command(name = "delete-password", description = "Delete a stored database password.",
            mixinStandardHelpOptions = true)
    static final class DeletePassword implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @picocli.CommandLine.Mixin
        MasterPassword master;

        @Parameters(index = "0", paramLabel = "ALIAS")
        String alias;

        @Override
        public Integer call() {
            try (Vault vault = unlocked(spec, master, SecretInput.system())) {
                vault.deletePassword(alias);
                spec.commandLine().getOut().println("Deleted password '" + Vault.normalizeAlias(alias) + "'.");
            }
            return 0;
        }
    }
}
