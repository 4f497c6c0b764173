package io.etlstream.source.pg;

import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.postgresql.plugin.AuthenticationPlugin;
import org.postgresql.plugin.AuthenticationRequestType;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

/**
 * A PostgreSQL password held as {@code char[]} for as long as a source needs to (re)connect, zeroed on close.
 *
 * <p>pgjdbc would otherwise take the password as a {@code String} property. Instead the connection properties carry
 * only a random handle, and pgjdbc asks {@link Plugin} for the characters at authentication time (and zeroes its copy
 * afterwards).
 */
public final class PgPassword implements AutoCloseable {

    static final String HANDLE_PROPERTY = "etlStreamPasswordHandle";
    private static final Map<String, char[]> LIVE = new ConcurrentHashMap<>();

    private final String handle = UUID.randomUUID().toString();
    private final char[] chars;

    private PgPassword(char[] chars) {
        this.chars = chars;
        LIVE.put(handle, chars);
    }

    /** Takes a copy of {@code password}; the caller may zero its own array right away. */
    public static PgPassword of(char[] password) {
        return new PgPassword(password == null ? new char[0] : password.clone());
    }

    /** No password (trusted or certificate authentication). */
    public static PgPassword none() {
        return new PgPassword(new char[0]);
    }

    /** A copy of the characters, for handing on to the vault; the caller zeroes it. */
    public char[] copy() {
        return chars.clone();
    }

    String handle() {
        return handle;
    }

    @Override
    public void close() {
        LIVE.remove(handle);
        Arrays.fill(chars, '\0');
    }

    @Override
    public String toString() {
        return "***";
    }

    /** The pgjdbc authentication plugin that looks the password up by handle. Instantiated by pgjdbc. */
    public static final class Plugin implements AuthenticationPlugin {
        private final String handle;

        public Plugin(java.util.Properties info) {
            this.handle = info.getProperty(HANDLE_PROPERTY);
        }

        @Override
        public char[] getPassword(AuthenticationRequestType type) throws PSQLException {
            char[] pw = handle == null ? null : LIVE.get(handle);
            if (pw == null) {
                throw new PSQLException("the password for this source is no longer available (source closed)",
                        PSQLState.CONNECTION_REJECTED);
            }
            if (pw.length == 0) {
                return null; // pgjdbc then reports "no password was provided", which ConnectionErrors explains
            }
            return pw.clone(); // pgjdbc zeroes the array it gets
        }
    }
}
