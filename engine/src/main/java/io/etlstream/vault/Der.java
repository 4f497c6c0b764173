package io.etlstream.vault;

import java.util.Arrays;

/**
 * A minimal DER reader and writer: just enough for PKCS#1/PKCS#8 wrapping and for reading PKCS12 parameters.
 * It never turns content into Strings, so it is safe on key material.
 */
final class Der {
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int SEQUENCE = 0x30;
    static final int SET = 0x31;
    static final int CONTEXT_0 = 0xA0;

    // Encoded OID contents (without tag and length) for the algorithms we recognise.
    static final byte[] OID_RSA = hex("2a864886f70d010101");
    static final byte[] OID_RSASSA_PSS = hex("2a864886f70d01010a");
    static final byte[] OID_EC = hex("2a8648ce3d0201");
    static final byte[] OID_DSA = hex("2a8648ce380401");
    static final byte[] OID_ED25519 = hex("2b6570");
    static final byte[] OID_ED448 = hex("2b6571");
    static final byte[] OID_X25519 = hex("2b656e");
    static final byte[] OID_PBES2 = hex("2a864886f70d01050d");
    static final byte[] OID_PBKDF2 = hex("2a864886f70d01050c");
    static final byte[] OID_SCRYPT = hex("2b06010401da47040b");
    static final byte[] OID_DATA = hex("2a864886f70d010701");
    static final byte[] OID_ENCRYPTED_DATA = hex("2a864886f70d010706");
    static final byte[] OID_SECRET_BAG = hex("2a864886f70d010c0a0105");
    static final byte[] OID_SHROUDED_KEY_BAG = hex("2a864886f70d010c0a0102");
    static final byte[] OID_KEY_BAG = hex("2a864886f70d010c0a0101");
    static final byte[] OID_CERT_BAG = hex("2a864886f70d010c0a0103");
    static final byte[] OID_FRIENDLY_NAME = hex("2a864886f70d010914");
    static final byte[] OID_PKCS12_PBE_PREFIX = hex("2a864886f70d010c01");

    private Der() {}

    /** A malformed or truncated DER structure. */
    static final class DerException extends Exception {
        private static final long serialVersionUID = 1L;
        final int offset;

        DerException(String message, int offset) {
            super(message + " at byte " + offset);
            this.offset = offset;
        }
    }

    /** One TLV element inside {@code buf}; content is {@code buf[contentStart, end)}. */
    record Element(byte[] buf, int tag, int start, int contentStart, int end) {
        int contentLength() {
            return end - contentStart;
        }

        Reader children() {
            return new Reader(buf, contentStart, end);
        }

        boolean isOid(byte[] oid) {
            return tag == OID && Arrays.equals(buf, contentStart, end, oid, 0, oid.length);
        }

        boolean oidStartsWith(byte[] prefix) {
            return tag == OID && contentLength() > prefix.length
                    && Arrays.equals(buf, contentStart, contentStart + prefix.length, prefix, 0, prefix.length);
        }

        /** A small non-negative INTEGER as a long; throws if it does not fit. */
        long smallInteger() throws DerException {
            if (tag != INTEGER || contentLength() == 0 || contentLength() > 8) {
                throw new DerException("expected a small INTEGER", start);
            }
            long v = 0;
            for (int i = contentStart; i < end; i++) {
                v = (v << 8) | (buf[i] & 0xFF);
            }
            if ((buf[contentStart] & 0x80) != 0) {
                throw new DerException("negative INTEGER", start);
            }
            return v;
        }

        /** Dotted form of an OID (OIDs are public, so a String is fine). */
        String oidString() {
            StringBuilder sb = new StringBuilder();
            long value = 0;
            boolean first = true;
            for (int i = contentStart; i < end; i++) {
                value = (value << 7) | (buf[i] & 0x7F);
                if ((buf[i] & 0x80) == 0) {
                    if (first) {
                        long a = Math.min(value / 40, 2);
                        sb.append(a).append('.').append(value - a * 40);
                        first = false;
                    } else {
                        sb.append('.').append(value);
                    }
                    value = 0;
                }
            }
            return sb.toString();
        }
    }

    /** Reads consecutive elements between two offsets. */
    static final class Reader {
        private final byte[] buf;
        private int pos;
        private final int end;

        Reader(byte[] buf, int start, int end) {
            this.buf = buf;
            this.pos = start;
            this.end = end;
        }

        static Reader of(byte[] buf) {
            return new Reader(buf, 0, buf.length);
        }

        boolean hasNext() {
            return pos < end;
        }

        int position() {
            return pos;
        }

        Element next() throws DerException {
            if (pos >= end) {
                throw new DerException("unexpected end of data", pos);
            }
            int start = pos;
            int tag = buf[pos++] & 0xFF;
            if ((tag & 0x1F) == 0x1F) {
                throw new DerException("multi-byte tags are not supported", start);
            }
            if (pos >= end) {
                throw new DerException("truncated length", pos);
            }
            int first = buf[pos++] & 0xFF;
            long length;
            if (first < 0x80) {
                length = first;
            } else {
                int n = first & 0x7F;
                if (n == 0) {
                    throw new DerException("indefinite length is not DER", start);
                }
                if (n > 4) {
                    throw new DerException("length too large", start);
                }
                if (pos + n > end) {
                    throw new DerException("truncated length", pos);
                }
                length = 0;
                for (int i = 0; i < n; i++) {
                    length = (length << 8) | (buf[pos++] & 0xFF);
                }
            }
            if (length > end - pos) {
                throw new DerException("element runs past the end of the data (truncated?)", start);
            }
            int contentStart = pos;
            pos = contentStart + (int) length;
            return new Element(buf, tag, start, contentStart, pos);
        }

        Element next(int expectedTag) throws DerException {
            int at = pos;
            Element e = next();
            if (e.tag() != expectedTag) {
                throw new DerException(
                        String.format("expected tag 0x%02x but found 0x%02x", expectedTag, e.tag()), at);
            }
            return e;
        }
    }

    /** Size of a TLV with {@code contentLength} bytes of content. */
    static int tlvSize(int contentLength) {
        return 1 + lengthSize(contentLength) + contentLength;
    }

    private static int lengthSize(int len) {
        if (len < 0x80) {
            return 1;
        }
        if (len < 0x100) {
            return 2;
        }
        if (len < 0x10000) {
            return 3;
        }
        if (len < 0x1000000) {
            return 4;
        }
        return 5;
    }

    /** Writes a tag and length into {@code out} at {@code pos}; returns the position of the content. */
    static int writeHeader(byte[] out, int pos, int tag, int len) {
        out[pos++] = (byte) tag;
        int ls = lengthSize(len);
        if (ls == 1) {
            out[pos++] = (byte) len;
        } else {
            out[pos++] = (byte) (0x80 | (ls - 1));
            for (int i = ls - 2; i >= 0; i--) {
                out[pos++] = (byte) (len >>> (8 * i));
            }
        }
        return pos;
    }

    /**
     * Wraps a PKCS#1 RSAPrivateKey into a PKCS#8 PrivateKeyInfo, writing straight into one exactly sized array so
     * no partial copies of the key are left behind. The caller zeroes both arrays.
     */
    static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
        int algIdContent = tlvSize(OID_RSA.length) + tlvSize(0);
        int content = tlvSize(1) + tlvSize(algIdContent) + tlvSize(pkcs1.length);
        byte[] out = new byte[tlvSize(content)];
        int p = writeHeader(out, 0, SEQUENCE, content);
        p = writeHeader(out, p, INTEGER, 1);
        out[p++] = 0;
        p = writeHeader(out, p, SEQUENCE, algIdContent);
        p = writeHeader(out, p, OID, OID_RSA.length);
        System.arraycopy(OID_RSA, 0, out, p, OID_RSA.length);
        p += OID_RSA.length;
        p = writeHeader(out, p, NULL, 0);
        p = writeHeader(out, p, OCTET_STRING, pkcs1.length);
        System.arraycopy(pkcs1, 0, out, p, pkcs1.length);
        return out;
    }

    static byte[] hex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
