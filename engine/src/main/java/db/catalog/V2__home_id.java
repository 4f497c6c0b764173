package db.catalog;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Gives the home a short random id, created once, that new pipelines put in their slot and publication names, so
 * two homes with a pipeline of the same name on one PostgreSQL server do not share a slot. Pipelines created before
 * this version keep the names their slots already have: {@code etl_stream_<folded name>} (over 63 bytes: cut, plus
 * the name's hash), which is what the engine derived at run time until now.
 */
public class V2__home_id extends BaseJavaMigration {

    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

    @Override
    public void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE home_identity ("
                    + " singleton INT PRIMARY KEY CHECK (singleton = 1),"
                    + " home_id VARCHAR(16) NOT NULL CHECK (REGEXP_LIKE(home_id, '^[a-z0-9]{1,16}$')))");
        }
        SecureRandom random = new SecureRandom();
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            id.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO home_identity VALUES (1, ?)")) {
            ps.setString(1, id.toString());
            ps.executeUpdate();
        }
        List<Object[]> rows = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id, name FROM pipeline")) {
            while (rs.next()) {
                rows.add(new Object[] {rs.getLong(1), rs.getString(2)});
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE pipeline SET slot_name = ?, publication_name = ? WHERE id = ?")) {
            for (Object[] row : rows) {
                String legacy = legacyName((String) row[1]);
                ps.setString(1, legacy);
                ps.setString(2, legacy);
                ps.setLong(3, (Long) row[0]);
                ps.executeUpdate();
            }
        }
    }

    /** The names the engine gave slots before this version (frozen here: later rules must not change it). */
    static String legacyName(String pipelineName) {
        String clean = pipelineName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        String name = "etl_stream_" + clean;
        if (name.length() > 63) {
            String hash = Integer.toHexString(pipelineName.hashCode() & 0x7fffffff);
            name = name.substring(0, 63 - hash.length() - 1) + "_" + hash;
        }
        return name;
    }
}
