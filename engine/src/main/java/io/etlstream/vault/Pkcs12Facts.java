package io.etlstream.vault;

import io.etlstream.vault.Der.DerException;
import io.etlstream.vault.Der.Element;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a PKCS12 file says about its own protection, read with a small DER walk and no password: the MAC iteration
 * count and, for each bag, its alias and PBKDF2 iteration count. Also the structural check that tells a damaged
 * or truncated file from a wrong password.
 */
public record Pkcs12Facts(String macDigest, int macIterations, List<Bag> bags) {

    /** One safe bag: its alias (friendlyName), bag type and the iteration count that protects it (0 if none). */
    public record Bag(String alias, String type, String protection, int iterations) {}

    public Pkcs12Facts {
        bags = List.copyOf(bags);
    }

    /** The lowest entry iteration count, or {@link Integer#MAX_VALUE} when there are no entries. */
    public int minEntryIterations() {
        return bags.stream().mapToInt(Bag::iterations).min().orElse(Integer.MAX_VALUE);
    }

    /** Parses {@code pfx}; throws {@link Der.DerException} if the structure is damaged or truncated. */
    static Pkcs12Facts parse(byte[] pfx) throws DerException {
        Der.Reader top = Der.Reader.of(pfx);
        Element pfxSeq = top.next(Der.SEQUENCE);
        if (top.hasNext()) {
            throw new DerException("unexpected data after the end of the PKCS12 structure", top.position());
        }
        Der.Reader r = pfxSeq.children();
        long version = r.next(Der.INTEGER).smallInteger();
        if (version != 3) {
            throw new DerException("not a PKCS12 version 3 file", 0);
        }
        Element authSafe = r.next(Der.SEQUENCE);
        String macDigest = "none";
        int macIterations = 0;
        if (r.hasNext()) {
            Der.Reader mac = r.next(Der.SEQUENCE).children();
            Der.Reader digestInfo = mac.next(Der.SEQUENCE).children();
            Element digestAlg = digestInfo.next(Der.SEQUENCE).children().next(Der.OID);
            macDigest = digestName(digestAlg.oidString());
            digestInfo.next(Der.OCTET_STRING);
            mac.next(Der.OCTET_STRING);
            macIterations = mac.hasNext() ? (int) Math.min(Integer.MAX_VALUE, mac.next(Der.INTEGER).smallInteger()) : 1;
        }
        List<Bag> bags = new ArrayList<>();
        Der.Reader ci = authSafe.children();
        Element type = ci.next(Der.OID);
        if (!type.isOid(Der.OID_DATA)) {
            throw new DerException("PKCS12 authSafe is not of type data", type.start());
        }
        Element authSafeOctets = ci.next(Der.CONTEXT_0).children().next(Der.OCTET_STRING);
        Der.Reader contentInfos = authSafeOctets.children().next(Der.SEQUENCE).children();
        while (contentInfos.hasNext()) {
            Der.Reader info = contentInfos.next(Der.SEQUENCE).children();
            Element infoType = info.next(Der.OID);
            if (infoType.isOid(Der.OID_DATA)) {
                Element octets = info.next(Der.CONTEXT_0).children().next(Der.OCTET_STRING);
                readSafeContents(octets.children().next(Der.SEQUENCE), bags);
            } else if (infoType.isOid(Der.OID_ENCRYPTED_DATA)) {
                // Encrypted content (certificates, in JDK stores): record its protection; bags inside are hidden.
                Der.Reader enc = info.next(Der.CONTEXT_0).children().next(Der.SEQUENCE).children();
                enc.next(Der.INTEGER);
                Der.Reader encContent = enc.next(Der.SEQUENCE).children();
                encContent.next(Der.OID);
                Element algId = encContent.next(Der.SEQUENCE);
                Protection p = protection(algId);
                bags.add(new Bag(null, "encryptedData", p.name, p.iterations));
            } else {
                throw new DerException("unknown PKCS12 content type " + infoType.oidString(), infoType.start());
            }
        }
        return new Pkcs12Facts(macDigest, macIterations, bags);
    }

    private static void readSafeContents(Element safeContents, List<Bag> bags) throws DerException {
        Der.Reader r = safeContents.children();
        while (r.hasNext()) {
            Der.Reader bag = r.next(Der.SEQUENCE).children();
            Element bagId = bag.next(Der.OID);
            Element value = bag.next(Der.CONTEXT_0).children().next();
            String alias = null;
            if (bag.hasNext()) {
                alias = friendlyName(bag.next(Der.SET));
            }
            String type;
            Protection p = Protection.NONE;
            if (bagId.isOid(Der.OID_SECRET_BAG)) {
                type = "secretBag";
                Der.Reader sb = value.children();
                sb.next(Der.OID);
                Element inner = sb.next(Der.CONTEXT_0).children().next();
                if (inner.tag() == Der.OCTET_STRING) {
                    inner = inner.children().next(Der.SEQUENCE);
                }
                p = protection(inner.children().next(Der.SEQUENCE));
            } else if (bagId.isOid(Der.OID_SHROUDED_KEY_BAG)) {
                type = "pkcs8ShroudedKeyBag";
                p = protection(value.children().next(Der.SEQUENCE));
            } else if (bagId.isOid(Der.OID_KEY_BAG)) {
                type = "keyBag (unencrypted)";
            } else if (bagId.isOid(Der.OID_CERT_BAG)) {
                type = "certBag";
            } else {
                type = bagId.oidString();
            }
            bags.add(new Bag(alias, type, p.name, p.iterations));
        }
    }

    private record Protection(String name, int iterations) {
        static final Protection NONE = new Protection("none", 0);
    }

    /** Reads an AlgorithmIdentifier of a PBES2 or PKCS#12 PBE scheme. */
    private static Protection protection(Element algId) throws DerException {
        Der.Reader a = algId.children();
        Element oid = a.next(Der.OID);
        if (oid.isOid(Der.OID_PBES2)) {
            Der.Reader params = a.next(Der.SEQUENCE).children();
            Der.Reader kdf = params.next(Der.SEQUENCE).children();
            Element kdfOid = kdf.next(Der.OID);
            if (!kdfOid.isOid(Der.OID_PBKDF2)) {
                return new Protection("PBES2/" + kdfOid.oidString(), 0);
            }
            Der.Reader kdfParams = kdf.next(Der.SEQUENCE).children();
            kdfParams.next(Der.OCTET_STRING);
            int iterations = (int) Math.min(Integer.MAX_VALUE, kdfParams.next(Der.INTEGER).smallInteger());
            String prf = "HmacSHA1";
            while (kdfParams.hasNext()) {
                Element e = kdfParams.next();
                if (e.tag() == Der.SEQUENCE) {
                    prf = prfName(e.children().next(Der.OID).oidString());
                }
            }
            String cipher = cipherName(params.next(Der.SEQUENCE).children().next(Der.OID).oidString());
            return new Protection("PBES2/PBKDF2-" + prf + "/" + cipher, iterations);
        }
        if (oid.oidStartsWith(Der.OID_PKCS12_PBE_PREFIX)) {
            Der.Reader params = a.next(Der.SEQUENCE).children();
            params.next(Der.OCTET_STRING);
            int iterations = (int) Math.min(Integer.MAX_VALUE, params.next(Der.INTEGER).smallInteger());
            return new Protection("PKCS12-PBE " + oid.oidString(), iterations);
        }
        return new Protection(oid.oidString(), 0);
    }

    private static String friendlyName(Element attrs) throws DerException {
        Der.Reader r = attrs.children();
        while (r.hasNext()) {
            Der.Reader attr = r.next(Der.SEQUENCE).children();
            Element oid = attr.next(Der.OID);
            Der.Reader values = attr.next(Der.SET).children();
            if (oid.isOid(Der.OID_FRIENDLY_NAME) && values.hasNext()) {
                Element bmp = values.next();
                // Aliases are public labels, never secrets.
                return new String(bmp.buf(), bmp.contentStart(), bmp.contentLength(), StandardCharsets.UTF_16BE);
            }
        }
        return null;
    }

    private static String digestName(String oid) {
        return switch (oid) {
            case "1.3.14.3.2.26" -> "HmacSHA1";
            case "2.16.840.1.101.3.4.2.1" -> "HmacSHA256";
            case "2.16.840.1.101.3.4.2.2" -> "HmacSHA384";
            case "2.16.840.1.101.3.4.2.3" -> "HmacSHA512";
            default -> oid;
        };
    }

    private static String prfName(String oid) {
        return switch (oid) {
            case "1.2.840.113549.2.7" -> "HmacSHA1";
            case "1.2.840.113549.2.9" -> "HmacSHA256";
            case "1.2.840.113549.2.10" -> "HmacSHA384";
            case "1.2.840.113549.2.11" -> "HmacSHA512";
            default -> oid;
        };
    }

    private static String cipherName(String oid) {
        return switch (oid) {
            case "2.16.840.1.101.3.4.1.2" -> "AES-128-CBC";
            case "2.16.840.1.101.3.4.1.42" -> "AES-256-CBC";
            default -> oid;
        };
    }
}
