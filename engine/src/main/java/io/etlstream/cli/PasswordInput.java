package io.etlstream.cli;

import io.etlstream.UserFacingException;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a password at run time without it ever being a command-line argument or a String: from a file, from stdin
 * when it is piped, or from a terminal prompt. The caller zeroes the returned array.
 */
final class PasswordInput {
    private PasswordInput() {}

    static char[] read(Path passwordFile, boolean fromStdin, InputStream stdin, String prompt) {
        try {
            if (passwordFile != null) {
                return firstLine(Files.readAllBytes(passwordFile));
            }
            Console console = System.console();
            if (fromStdin || console == null) {
                return firstLine(stdin.readAllBytes());
            }
            char[] pw = console.readPassword("%s", prompt);
            if (pw == null) {
                throw new UserFacingException("no password entered");
            }
            return pw;
        } catch (IOException e) {
            throw new UserFacingException("cannot read the password: " + e.getMessage()
                    + " — pipe it on stdin, give --password-file FILE, or run in a terminal to be prompted", e);
        }
    }

    private static char[] firstLine(byte[] bytes) {
        try {
            int end = 0;
            while (end < bytes.length && bytes[end] != '\n' && bytes[end] != '\r') {
                end++;
            }
            CharBuffer cb = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes, 0, end));
            char[] out = new char[cb.remaining()];
            cb.get(out);
            Arrays.fill(cb.array(), '\0');
            return out;
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

}
