/**
 * The vault: Snowflake private keys and database passwords in {@code <home>/vault.p12}, a PKCS12 store behind one
 * master password.
 *
 * <p>Layout: each secret is a PKCS12 secret bag under an alias with a kind prefix, {@code key/<alias>} (PKCS#8 DER
 * of an RSA key) or {@code password/<alias>} (UTF-8 bytes), encrypted with PBES2 (PBKDF2-HmacSHA256, 600,000
 * iterations, AES-256-CBC, own salt); the file MAC is HmacSHA256 at 600,000 iterations. Aliases are not encrypted,
 * so {@code vault status} and {@link io.etlstream.vault.Vault#entries()} work without the password; the catalog
 * stores only aliases. A rotation keeps the pending key under {@code key/<alias>.next}.
 *
 * <p>Why PKCS12 and not a bespoke format: standard tooling ({@code openssl pkcs12 -info}, {@code keytool}) can
 * inspect it, and the JDK does the cryptography. {@link io.etlstream.vault.Pkcs12Facts} re-reads every written
 * file to prove the iteration counts, because the MAC count is only settable through a system property.
 */
package io.etlstream.vault;
