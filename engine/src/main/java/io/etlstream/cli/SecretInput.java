package io.etlstream.cli;

import io.etlstream.UserFacingException;
import io.etlstream.vault.Secrets;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where the CLI gets secrets from, never the command line: a file (read as bytes), the console with echo off, or
 * stdin when it is not a terminal (one secret per line). Every result is a {@code char[]} the caller zeroes.
 */
final class SecretInput {
    private final InputStream stdin;
    private final Console console;

    SecretInput(InputStream stdin, Console console) {
        this.stdin = stdin;
        this.console = console;
    }

    static SecretInput system() {
        return new SecretInput(System.in, System.console());
    }

    boolean interactive() {
        return console != null;
    }

    /** Reads a secret from {@code file} if given, else from the console ({@code prompt}) or the next stdin line. */
    char[] read(Path file, String prompt, String what) {
        if (file != null) {
            return fromFile(file, what);
        }
        if (console != null) {
            char[] pw = console.readPassword("%s", prompt);
            if (pw == null) {
                throw new UserFacingException("No " + what + " entered.");
            }
            return pw;
        }
        return nextStdinLine(what);
    }

    /** The option that gives {@code what} from a file, for the message when neither it nor stdin did. */
    private static String optionFor(String what) {
        if (what.startsWith("PostgreSQL")) {
            return "--pg-password-file FILE (or --no-password when the source needs none)";
        }
        if (what.equals("password to store")) {
            return "--secret-file FILE";
        }
        return "--password-file FILE";
    }

    /** A new secret: typed twice on a console; once from a file or stdin. */
    char[] readNew(Path file, String prompt, String repeatPrompt, String what) {
        char[] first = read(file, prompt, what);
        if (file != null || console == null) {
            return first;
        }
        char[] second = console.readPassword("%s", repeatPrompt);
        try {
            if (second == null || !Arrays.equals(first, second)) {
                Secrets.zero(first);
                throw new UserFacingException("The two entries of the " + what + " differ; nothing was changed.");
            }
            return first;
        } finally {
            Secrets.zero(second);
        }
    }

    static char[] fromFile(Path file, String what) {
        byte[] bytes = null;
        try {
            bytes = Files.readAllBytes(file);
            char[] chars = Secrets.utf8ToChars(bytes, true);
            if (chars.length == 0) {
                throw new UserFacingException("The " + what + " file " + file + " is empty.");
            }
            return chars;
        } catch (NoSuchFileException e) {
            throw new UserFacingException("The " + what + " file " + file + " does not exist.");
        } catch (IOException e) {
            throw new UserFacingException("Cannot read the " + what + " file " + file + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new UserFacingException("The " + what + " file " + file + " is not UTF-8 text.");
        } finally {
            Secrets.zero(bytes);
        }
    }

    private char[] nextStdinLine(String what) {
        byte[] buf = new byte[64];
        int n = 0;
        try {
            int b;
            boolean any = false;
            while ((b = stdin.read()) != -1) {
                any = true;
                if (b == '\n') {
                    break;
                }
                if (n == buf.length) {
                    // Grow by hand and zero the old array, so no partial copy of the secret is left behind.
                    byte[] old = buf;
                    buf = Arrays.copyOf(old, old.length * 2);
                    Secrets.zero(old);
                }
                buf[n++] = (byte) b;
            }
            if (!any) {
                throw new UserFacingException("No " + what + " given: use " + optionFor(what) + ", pipe it on stdin,"
                        + " or run in a terminal to be asked.");
            }
            byte[] line = Arrays.copyOf(buf, n);
            try {
                char[] chars = Secrets.utf8ToChars(line, true);
                if (chars.length == 0) {
                    throw new UserFacingException("The " + what + " read from stdin is empty.");
                }
                return chars;
            } finally {
                Secrets.zero(line);
            }
        } catch (IOException e) {
            throw new UserFacingException("Cannot read the " + what + " from stdin: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new UserFacingException("The " + what + " read from stdin is not UTF-8 text.");
        } finally {
            Secrets.zero(buf);
        }
    }
}
