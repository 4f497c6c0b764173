package io.etlstream.vault;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Conversions between char[] and byte[] secrets that never create a String and zero every intermediate buffer. */
public final class Secrets {
    private Secrets() {}

    public static void zero(char[] secret) {
        if (secret != null) {
            Arrays.fill(secret, '\0');
        }
    }

    public static void zero(byte[] secret) {
        if (secret != null) {
            Arrays.fill(secret, (byte) 0);
        }
    }

    /** UTF-8 bytes of {@code chars}; the caller zeroes the result. */
    public static byte[] utf8(char[] chars) {
        CharsetEncoder enc = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer bb = ByteBuffer.allocate(Math.max(1, chars.length * 4));
        try {
            enc.encode(CharBuffer.wrap(chars), bb, true);
            enc.flush(bb);
            byte[] out = Arrays.copyOf(bb.array(), bb.position());
            return out;
        } finally {
            Arrays.fill(bb.array(), (byte) 0);
        }
    }

    /**
     * Decodes UTF-8 bytes into chars; the caller zeroes both. A trailing newline (LF or CRLF) is dropped because
     * password files written with {@code echo} end in one.
     */
    public static char[] utf8ToChars(byte[] bytes, boolean dropTrailingNewline) {
        int len = bytes.length;
        if (dropTrailingNewline) {
            if (len > 0 && bytes[len - 1] == '\n') {
                len--;
            }
            if (len > 0 && bytes[len - 1] == '\r') {
                len--;
            }
        }
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer cb = CharBuffer.allocate(Math.max(1, len));
        try {
            var result = dec.decode(ByteBuffer.wrap(bytes, 0, len), cb, true);
            if (result.isError()) {
                result.throwException();
            }
            dec.flush(cb);
            return Arrays.copyOf(cb.array(), cb.position());
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the password is not valid UTF-8 text", e);
        } finally {
            Arrays.fill(cb.array(), '\0');
        }
    }
}
