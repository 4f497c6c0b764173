package io.etlstream.emulator;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Date;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The account's users, their RSA public keys (slot 1 and 2), and key-pair JWT verification. */
final class Users {

  /** Why a JWT was refused; the HTTP layer turns it into Snowflake's 401 answer. */
  static final class AuthException extends Exception {
    private static final long serialVersionUID = 1L;
    final String code;

    AuthException(String code, String message) {
      super(message);
      this.code = code;
    }
  }

  private static final long SKEW_MS = 60_000;
  private static final long MAX_LIFETIME_MS = 3_600_000 + SKEW_MS;

  private final String account;
  private final Map<String, PublicKey[]> keys = new ConcurrentHashMap<>();

  Users(String account) {
    this.account = account.toUpperCase(Locale.ROOT);
  }

  String account() {
    return account;
  }

  boolean exists(String user) {
    return keys.containsKey(user.toUpperCase(Locale.ROOT));
  }

  void create(String user) {
    keys.putIfAbsent(user.toUpperCase(Locale.ROOT), new PublicKey[2]);
  }

  void drop(String user) {
    keys.remove(user.toUpperCase(Locale.ROOT));
  }

  /** Sets key slot 1 or 2 (null unsets it), creating the user if needed. */
  void setKey(String user, int slot, PublicKey key) {
    if (key != null && !(key instanceof RSAPublicKey)) {
      throw new IllegalArgumentException("only RSA public keys are supported");
    }
    keys.compute(user.toUpperCase(Locale.ROOT), (k, v) -> {
      PublicKey[] copy = v == null ? new PublicKey[2] : v.clone();
      copy[slot - 1] = key;
      return copy;
    });
  }

  PublicKey key(String user, int slot) {
    PublicKey[] k = keys.get(user.toUpperCase(Locale.ROOT));
    return k == null ? null : k[slot - 1];
  }

  /** Parses an RSA_PUBLIC_KEY value: base64 DER, with or without PEM armour. */
  static PublicKey parsePublicKey(String text) {
    String b64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    try {
      byte[] der = Base64.getDecoder().decode(b64);
      return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
    } catch (Exception e) {
      throw new IllegalArgumentException("RSA_PUBLIC_KEY is not a base64 DER (X.509) RSA public key", e);
    }
  }

  static String fingerprint(PublicKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return "SHA256:" + Base64.getEncoder().encodeToString(digest);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Verifies a key-pair JWT as Snowflake does and returns the user name it authenticates. */
  String verify(String token) throws AuthException {
    SignedJWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = SignedJWT.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (Exception e) {
      throw invalid("token is not a signed JWT");
    }
    if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm())) {
      throw invalid("algorithm must be RS256");
    }
    String sub = claims.getSubject();
    String iss = claims.getIssuer();
    Date exp = claims.getExpirationTime();
    Date iat = claims.getIssueTime();
    if (sub == null || iss == null || exp == null || iat == null) {
      throw invalid("iss, sub, iat and exp are required");
    }
    String subU = sub.toUpperCase(Locale.ROOT);
    int dot = subU.indexOf('.');
    if (dot <= 0 || !subU.substring(0, dot).equals(account)) {
      throw invalid("sub must be " + account + ".<USER>");
    }
    String user = subU.substring(dot + 1);
    PublicKey[] userKeys = keys.get(user);
    if (userKeys == null) {
      throw invalid("user " + user + " does not exist");
    }
    String prefix = subU + ".";
    if (!iss.toUpperCase(Locale.ROOT).startsWith(prefix)) {
      throw invalid("iss must be " + subU + ".SHA256:<fingerprint>");
    }
    String fp = iss.substring(prefix.length());
    PublicKey matched = null;
    for (PublicKey k : userKeys) {
      if (k != null && fingerprint(k).equals(fp)) {
        matched = k;
      }
    }
    if (matched == null) {
      throw invalid("public key fingerprint does not match a registered key of " + user);
    }
    try {
      if (!jwt.verify(new RSASSAVerifier((RSAPublicKey) matched))) {
        throw invalid("signature does not verify");
      }
    } catch (AuthException e) {
      throw e;
    } catch (Exception e) {
      throw invalid("signature does not verify");
    }
    long now = System.currentTimeMillis();
    if (exp.getTime() + SKEW_MS < now) {
      throw new AuthException("390318", "The JWT token has expired.");
    }
    if (iat.getTime() - SKEW_MS > now || exp.getTime() - iat.getTime() > MAX_LIFETIME_MS) {
      throw invalid("iat/exp are out of range (a token lives at most one hour)");
    }
    return user;
  }

  private static AuthException invalid(String why) {
    return new AuthException("390144", "JWT token is invalid: " + why + ".");
  }
}
