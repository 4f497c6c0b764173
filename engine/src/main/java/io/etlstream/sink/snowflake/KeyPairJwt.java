package io.etlstream.sink.snowflake;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.etlstream.vault.RsaKeys;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Locale;
import java.util.Objects;

/**
 * Signs Snowflake key-pair JWTs (RS256) straight from a {@link PrivateKey} object, so the key never becomes a
 * String: {@code iss = ACCOUNT.USER.SHA256:<fingerprint>}, {@code sub = ACCOUNT.USER}, lifetime at most one hour.
 */
public final class KeyPairJwt {
    /** Snowflake rejects tokens that live longer than one hour. */
    public static final Duration MAX_LIFETIME = Duration.ofHours(1);
    /** Default lifetime: a little under the maximum, so clock skew never pushes a token over it. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(59);

    private final String account;
    private final String user;
    private final PrivateKey privateKey;
    private final String fingerprint;
    private final Clock clock;

    /** For an RSA CRT private key (every vault key): the public key is derived from it. */
    public KeyPairJwt(String account, String user, PrivateKey privateKey) {
        this(account, user, privateKey, RsaKeys.publicKeyOf(privateKey), Clock.systemUTC());
    }

    public KeyPairJwt(String account, String user, PrivateKey privateKey, PublicKey publicKey, Clock clock) {
        this.account = jwtAccount(Objects.requireNonNull(account, "account"));
        this.user = Objects.requireNonNull(user, "user").toUpperCase(Locale.ROOT);
        this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
        this.fingerprint = RsaKeys.fingerprint(Objects.requireNonNull(publicKey, "publicKey"));
        this.clock = Objects.requireNonNull(clock, "clock");
        if (this.account.isEmpty() || this.user.isEmpty()) {
            throw new IllegalArgumentException("account and user must not be empty");
        }
    }

    /**
     * The account part of the claims: upper case and without region or cloud suffix. Snowflake's key-pair guide
     * strips everything after the first '.' of an account locator ({@code xy12345.us-east-1} becomes
     * {@code XY12345}); for a {@code .global} account it keeps what precedes the first '-'.
     */
    public static String jwtAccount(String account) {
        String a = account.trim();
        if (a.contains(".global")) {
            int dash = a.indexOf('-');
            a = dash > 0 ? a.substring(0, dash) : a;
        } else {
            int dot = a.indexOf('.');
            a = dot > 0 ? a.substring(0, dot) : a;
        }
        return a.toUpperCase(Locale.ROOT);
    }

    /** The Snowflake user the key logs in as (upper case, as in the claims). */
    public String user() {
        return user;
    }

    /** {@code ACCOUNT.USER} */
    public String subject() {
        return account + "." + user;
    }

    /** {@code ACCOUNT.USER.SHA256:<fingerprint>} */
    public String issuer() {
        return subject() + "." + fingerprint;
    }

    public String fingerprint() {
        return fingerprint;
    }

    /** A token valid from now for {@link #DEFAULT_LIFETIME}. A bearer credential: never log it. */
    public String token() {
        return token(DEFAULT_LIFETIME);
    }

    /** A token valid from now for {@code lifetime} (at most one hour). */
    public String token(Duration lifetime) {
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException("JWT lifetime must be >0 and at most 1 hour, not " + lifetime);
        }
        // Whole seconds: Snowflake reads iat/exp as NumericDate.
        Instant now = Instant.ofEpochSecond(clock.instant().getEpochSecond());
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer())
                .subject(subject())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(lifetime)))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
        try {
            jwt.sign(new RSASSASigner(privateKey));
        } catch (JOSEException e) {
            throw new IllegalStateException("could not sign the Snowflake JWT: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }

    @Override
    public String toString() {
        return "KeyPairJwt[" + issuer() + ", key=***]";
    }
}
