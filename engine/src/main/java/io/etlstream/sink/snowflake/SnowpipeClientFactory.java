package io.etlstream.sink.snowflake;

import io.etlstream.UserFacingException;
import java.security.PrivateKey;
import java.util.Objects;
import java.util.Properties;
import net.snowflake.ingest.streaming.SnowflakeStreamingIngestClient;
import net.snowflake.ingest.streaming.internal.SnowflakeStreamingIngestClientInternal;
import net.snowflake.ingest.utils.SFException;
import net.snowflake.ingest.utils.SnowflakeURL;

/**
 * Builds the Snowpipe Streaming client from a {@link PrivateKey} object.
 *
 * <p>The SDK's public builder runs every property through {@code toString()}, so it only takes the key as a PEM
 * String, which would leave key material on the heap as an immutable String (ARCHITECTURE.md invariant 4). The
 * client's public constructor {@code (String, SnowflakeURL, Properties, Map, boolean)} instead reads the key object
 * from the {@code privateKey} property and derives the public key from it. That constructor is pinned by
 * {@code SnowpipeClientFactoryTest}: an SDK upgrade that removes it fails the build.
 */
public final class SnowpipeClientFactory {

    /** The property the client constructor reads the key object from ({@code SFSessionProperty.PRIVATE_KEY}). */
    static final String PRIVATE_KEY_PROPERTY = "privateKey";

    private SnowpipeClientFactory() {}

    /** Opens a client named {@code clientName}; the caller owns it and closes it. */
    public static SnowflakeStreamingIngestClient open(
            String clientName, SnowflakeAccount account, PrivateKey key, SnowpipeTuning tuning) {
        Objects.requireNonNull(key, "key");
        Properties props = new Properties();
        props.setProperty("user", account.user());
        props.setProperty("role", account.role());
        props.setProperty("authorization_type", "JWT");
        props.put(PRIVATE_KEY_PROPERTY, key);
        try {
            return new SnowflakeStreamingIngestClientInternal<>(
                    clientName, new SnowflakeURL(account.sdkUrl()), props, tuning.parameterOverrides(), false);
        } catch (SFException e) {
            throw new UserFacingException("Could not start the Snowpipe Streaming client for " + account.sdkUrl()
                    + " as " + account.user() + ": " + e.getMessage()
                    + ". Check the account URL, that the user's RSA_PUBLIC_KEY matches the key in the vault, and that"
                    + " the role is granted to the user; then run 'etl-stream destination test'.", e);
        } finally {
            // The client keeps its own KeyPair; drop our reference to the key from the property bag.
            props.remove(PRIVATE_KEY_PROPERTY);
        }
    }
}
