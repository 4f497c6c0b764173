package io.etlstream.sink.snowflake;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/** Where and as whom the engine talks to Snowflake; holds no secret (the key comes from the vault by alias). */
public record SnowflakeAccount(URI url, String user, String role) {

    public SnowflakeAccount {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(role, "role");
        if (url.getHost() == null || url.getScheme() == null) {
            throw new IllegalArgumentException("Snowflake URL needs a scheme and a host: " + url);
        }
    }

    /** The public endpoint of an account given as ORG-ACCOUNT (or a legacy locator). */
    public static URI urlForAccount(String orgAccount) {
        if (!orgAccount.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("account identifier '" + orgAccount
                    + "' is not of the form ORG-ACCOUNT (letters, digits, '-', '_', '.')");
        }
        return URI.create("https://" + orgAccount.toLowerCase(Locale.ROOT) + ".snowflakecomputing.com:443");
    }

    /** The URL as the SDK wants it: scheme, host and an explicit port. */
    public String sdkUrl() {
        int port = url.getPort() > 0 ? url.getPort() : ("https".equals(url.getScheme()) ? 443 : 80);
        return url.getScheme() + "://" + url.getHost() + ":" + port;
    }
}
