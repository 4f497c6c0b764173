package io.etlstream.sink.snowflake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.etlstream.vault.RsaKeys;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KeyPairJwtTest {
    static KeyPair pair;
    static KeyPair other;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        pair = g.generateKeyPair();
        other = g.generateKeyPair();
    }

    @Test
    void claimsFollowSnowflakesKeyPairRules() throws Exception {
        Instant now = Instant.parse("2026-11-26T18:00:00.700Z");
        KeyPairJwt jwt = new KeyPairJwt("xy12345.us-east-1", "etl_user", pair.getPrivate(), pair.getPublic(),
                Clock.fixed(now, ZoneOffset.UTC));
        SignedJWT parsed = SignedJWT.parse(jwt.token());

        assertThat(parsed.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
        assertThat(parsed.verify(new RSASSAVerifier((RSAPublicKey) pair.getPublic()))).isTrue();
        assertThat(parsed.verify(new RSASSAVerifier((RSAPublicKey) other.getPublic()))).isFalse();

        String fp = "SHA256:" + Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(pair.getPublic().getEncoded()));
        JWTClaimsSet c = parsed.getJWTClaimsSet();
        assertThat(c.getSubject()).isEqualTo("XY12345.ETL_USER");
        assertThat(c.getIssuer()).isEqualTo("XY12345.ETL_USER." + fp);
        assertThat(c.getIssueTime().toInstant()).isEqualTo(Instant.parse("2026-11-26T18:00:00Z"));
        Duration life = Duration.between(c.getIssueTime().toInstant(), c.getExpirationTime().toInstant());
        assertThat(life).isPositive().isLessThanOrEqualTo(Duration.ofHours(1));
    }

    @Test
    void derivesThePublicKeyFromAVaultStylePrivateKey() throws Exception {
        KeyPairJwt jwt = new KeyPairJwt("myorg-myaccount", "u", pair.getPrivate());
        assertThat(jwt.fingerprint()).isEqualTo(RsaKeys.fingerprint(pair.getPublic()));
        assertThat(jwt.subject()).isEqualTo("MYORG-MYACCOUNT.U");
        assertThat(jwt.toString()).contains("***").doesNotContain("MII");
    }

    @Test
    void accountNormalisation() {
        assertThat(KeyPairJwt.jwtAccount("xy12345.eu-central-1.aws")).isEqualTo("XY12345");
        assertThat(KeyPairJwt.jwtAccount("myorg-acct")).isEqualTo("MYORG-ACCT");
        assertThat(KeyPairJwt.jwtAccount("xy12345-abc.global")).isEqualTo("XY12345");
    }

    @Test
    void lifetimeOverOneHourIsRefused() {
        KeyPairJwt jwt = new KeyPairJwt("a", "u", pair.getPrivate());
        assertThatThrownBy(() -> jwt.token(Duration.ofMinutes(61))).isInstanceOf(IllegalArgumentException.class);
    }
}
