package io.etlstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.etlstream.UserFacingException;
import io.etlstream.sink.snowflake.KeyPairJwt;
import io.etlstream.sink.snowflake.SqlApiClient;
import io.etlstream.sink.snowflake.SqlApiException;
import io.etlstream.vault.KeyImportException;
import io.etlstream.vault.Secrets;
import io.etlstream.vault.Vault;
import io.etlstream.vault.VaultPublicKey;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code etl-stream key ...}: Snowflake RSA key pairs kept in the vault; only the public side is ever shown. */
@Command(
        name = "key",
        description = "Generate, import, show and rotate Snowflake key-pair keys kept in the vault.",
        mixinStandardHelpOptions = true,
        subcommands = {
            KeyCommand.Generate.class,
            KeyCommand.Import.class,
            KeyCommand.ListKeys.class,
            KeyCommand.ShowPublic.class,
            KeyCommand.Rotate.class,
            KeyCommand.Delete.class
        })
public final class KeyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /** The Snowflake user the printed statements name. */
    static final class UserOption {
        @Option(names = "--user", paramLabel = "USER", description = "Snowflake user for the ALTER USER statements.")
        String user;
    }

    static void printPublic(PrintWriter out, VaultPublicKey key, String user, int slot) {
        out.println("Key:         " + key.alias() + " (RSA " + key.bits() + " bits)");
        out.println("Fingerprint: " + key.fingerprint() + "   (Snowflake: DESC USER -> "
                + VaultPublicKey.slotProperty(slot) + "_FP)");
        out.println("Run in Snowflake (as a role that can alter the user):");
        out.println("  " + key.alterUserStatement(user, slot));
    }

    @Command(name = "generate", description = "Generate an RSA key pair in memory and store it.",
            mixinStandardHelpOptions = true)
    static final class Generate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        VaultCommand.MasterPassword master;

        @Mixin
        UserOption user;

        @Parameters(index = "0", paramLabel = "ALIAS")
        String alias;

        @Option(names = "--bits", defaultValue = "2048", description = "2048 (default), 3072 or 4096.")
        int bits;

        @Override
        public Integer call() {
            try (Vault vault = VaultCommand.unlocked(spec, master, SecretInput.system())) {
                VaultPublicKey key = vault.generateKey(alias, bits);
                printPublic(spec.commandLine().getOut(), key, user.user, 1);
            }
            return 0;
        }
    }

    @Command(name = "import", description = "Import a PEM private key (PKCS#8, encrypted PKCS#8 or PKCS#1).",
            mixinStandardHelpOptions = true)
    static final class Import implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        VaultCommand.MasterPassword master;

        @Mixin
        UserOption user;

        @Parameters(index = "0", paramLabel = "ALIAS")
        String alias;

        @Option(names = "--file", required = true, paramLabel = "PEM", description = "The private key file.")
        Path file;

        @Option(names = "--passphrase-file", paramLabel = "FILE",
                description = "Passphrase of an encrypted key (else asked on a console when needed).")
        Path passphraseFile;

        @Override
        public Integer call() {
            SecretInput in = SecretInput.system();
            byte[] pem = readPem(file);
            char[] passphrase = passphraseFile == null ? null : SecretInput.fromFile(passphraseFile, "passphrase");
            try (Vault vault = VaultCommand.unlocked(spec, master, in)) {
                VaultPublicKey key;
                try {
                    key = vault.importKey(alias, pem, passphrase, file.toString());
                } catch (KeyImportException e) {
                    Console console = System.console();
                    if (e.problem() != KeyImportException.Problem.PASSPHRASE_MISSING || console == null) {
                        throw e;
                    }
                    passphrase = console.readPassword("Passphrase for %s: ", file);
                    key = vault.importKey(alias, pem, passphrase, file.toString());
                }
                PrintWriter out = spec.commandLine().getOut();
                printPublic(out, key, user.user, 1);
                out.println("The key is now encrypted in the vault; delete " + file + " if nothing else needs it.");
            } finally {
                Secrets.zero(pem);
                Secrets.zero(passphrase);
            }
            return 0;
        }

        private static byte[] readPem(Path file) {
            try {
                return Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                throw new UserFacingException("The key file " + file + " does not exist.");
            } catch (IOException e) {
                throw new UserFacingException("Cannot read the key file " + file + ": " + e.getMessage());
            }
        }
    }

    @Command(name = "list", description = "List the keys with size and fingerprint.", mixinStandardHelpOptions = true)
    static final class ListKeys implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        VaultCommand.MasterPassword master;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            try (Vault vault = VaultCommand.unlocked(spec, master, SecretInput.system())) {
                ObjectMapper mapper = new ObjectMapper();
                ArrayNode arr = mapper.createArrayNode();
                for (Vault.Entry e : vault.entries()) {
                    if (e.kind() != Vault.Kind.KEY) {
                        continue;
                    }
                    VaultPublicKey pub = vault.publicKey(e.alias());
                    arr.addObject().put("alias", e.alias()).put("bits", pub.bits())
                            .put("fingerprint", pub.fingerprint()).put("pendingRotation", e.pendingRotation());
                    if (!json) {
                        out.printf("%-32s RSA %4d  %s%s%n", e.alias(), pub.bits(), pub.fingerprint(),
                                e.pendingRotation() ? "  (pending rotation)" : "");
                    }
                }
                if (json) {
                    out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(arr));
                } else if (arr.isEmpty()) {
                    out.println("No keys. Create one with: etl-stream key generate ALIAS");
                }
            }
            return 0;
        }
    }

    @Command(name = "show-public", description = "Print the ALTER USER statement and the fingerprint of a key.",
            mixinStandardHelpOptions = true)
    static final class ShowPublic implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        VaultCommand.MasterPassword master;

        @Mixin
        UserOption user;

        @Parameters(index = "0", paramLabel = "ALIAS")
        String alias;

        @Option(names = "--slot", defaultValue = "1", description = "1 = RSA_PUBLIC_KEY (default), 2 = RSA_PUBLIC_KEY_2.")
        int slot;

        @Override
        public Integer call() {
            try (Vault vault = VaultCommand.unlocked(spec, master, SecretInput.system())) {
                printPublic(spec.commandLine().getOut(), vault.publicKey(alias), user.user, slotChecked(slot));
            }
            return 0;
        }
    }

    static int slotChecked(int slot) {
        if (slot != 1 && slot != 2) {
            throw new UserFacingException("--slot must be 1 (RSA_PUBLIC_KEY) or 2 (RSA_PUBLIC_KEY_2).");
        }
        return slot;
    }

    @Command(name = "rotate", description = {
        "Rotate a key without downtime. Step 1 (no --finish): generate the next key ALIAS.next and print the",
        "statement that registers it in the free slot. Step 2 (--finish): verify a login with the next key through",
        "Snowflake's SQL API, switch to it, delete the old key and print the statement that unsets the old slot."},
            mixinStandardHelpOptions = true)
    static final class Rotate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        VaultCommand.MasterPassword master;

        @Parameters(index = "0", paramLabel = "ALIAS")
        String alias;

        @Option(names = "--user", paramLabel = "USER", description = "Snowflake user (statements; login check).")
        String user;

        @Option(names = "--slot", defaultValue = "2", description = "Slot for the new key: 2 = RSA_PUBLIC_KEY_2"
                + " (default, when the current key is in RSA_PUBLIC_KEY), 1 for the next rotation after that.")
        int slot;

        @Option(names = "--bits", description = "Size of the new key (default: that of the current key).")
        Integer bits;

        @Option(names = "--finish", description = "Verify the new key and switch to it.")
        boolean finish;

        @Option(names = "--verify-url", paramLabel = "URL",
                description = "Account URL for the login check, e.g. https://ORG-ACCT.snowflakecomputing.com")
        URI verifyUrl;

        @Option(names = "--account", paramLabel = "ACCOUNT", description = "Account identifier for the JWT.")
        String account;

        @Option(names = "--role", description = "Role for the login check.")
        String role;

        @Option(names = "--warehouse", description = "Warehouse for the login check.")
        String warehouse;

        @Option(names = "--no-verify", description = "Switch without a login check (not recommended).")
        boolean noVerify;

        @Override
        public Integer call() {
            int newSlot = slotChecked(slot);
            int oldSlot = 3 - newSlot;
            PrintWriter out = spec.commandLine().getOut();
            String a = Vault.normalizeAlias(alias);
            String next = a + Vault.NEXT_SUFFIX;
            try (Vault vault = VaultCommand.unlocked(spec, master, SecretInput.system())) {
                if (!vault.hasKey(a)) {
                    throw new UserFacingException("There is no key '" + a + "' to rotate. See: etl-stream key list");
                }
                if (!finish) {
                    VaultPublicKey pending;
                    if (vault.hasKey(next)) {
                        pending = vault.publicKey(next);
                        out.println("A rotation of '" + a + "' is already pending; its new key:");
                    } else {
                        int size = bits != null ? bits : vault.publicKey(a).bits();
                        pending = vault.generateKey(next, size);
                        out.println("Generated the next key for '" + a + "':");
                    }
                    printPublic(out, pending, user, newSlot);
                    out.println("Then check it and switch:");
                    out.println("  etl-stream key rotate " + a + " --finish --slot " + newSlot + " --verify-url"
                            + " https://<account>.snowflakecomputing.com --account <account> --user "
                            + (user == null ? "<user>" : user));
                    return 0;
                }
                if (!vault.hasKey(next)) {
                    throw new UserFacingException("No rotation of '" + a + "' is pending. Start it with: etl-stream"
                            + " key rotate " + a);
                }
                if (verifyUrl != null) {
                    if (account == null || user == null) {
                        throw new UserFacingException("The login check needs --account and --user as well as"
                                + " --verify-url.");
                    }
                    KeyPairJwt jwt = new KeyPairJwt(account, user, vault.privateKey(next));
                    try {
                        new SqlApiClient(verifyUrl, jwt).execute(
                                new SqlApiClient.Statement("SELECT 1", 60, null, null, warehouse, role));
                    } catch (SqlApiException e) {
                        throw new UserFacingException("The login check with the new key failed; nothing was switched."
                                + " Did you run the " + VaultPublicKey.slotProperty(newSlot) + " statement? "
                                + e.getMessage(), e);
                    }
                    out.println("Login with the new key works (" + jwt.fingerprint() + ").");
                } else if (!noVerify) {
                    throw new UserFacingException("Check a login with the new key before switching: add --verify-url"
                            + " URL --account ACCOUNT --user USER (or --no-verify to switch unchecked).");
                }
                VaultPublicKey promoted = vault.promoteNextKey(a);
                out.println("'" + a + "' now uses the new key " + promoted.fingerprint() + "; the old key was deleted"
                        + " from the vault.");
                out.println("Restart or reload running pipelines that use '" + a + "', then retire the old key in"
                        + " Snowflake:");
                out.println("  ALTER USER " + VaultPublicKey.quoteUser(user) + " UNSET "
                        + VaultPublicKey.slotProperty(oldSlot) + ";");
                out.println("Next rotation: etl-stream key rotate " + a + " --slot " + oldSlot);
            }
            return 0;
        }
    }

    @Command(name = "delete", description = "Delete a key from the vault.", mixinStandardHelpOptions = true)
    static final class Delete implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        VaultCommand.MasterPassword master;

        @Parameters(index = "0", paramLabel = "ALIAS")
        String alias;

        @Override
        public Integer call() {
            try (Vault vault = VaultCommand.unlocked(spec, master, SecretInput.system())) {
                vault.deleteKey(alias);
                spec.commandLine().getOut().println("Deleted key '" + Vault.normalizeAlias(alias) + "'. Snowflake"
                        + " still accepts its public key until you UNSET it on the user.");
            }
            return 0;
        }
    }
}
