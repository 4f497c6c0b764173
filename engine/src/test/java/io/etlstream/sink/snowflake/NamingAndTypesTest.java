package io.etlstream.sink.snowflake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.etlstream.UserFacingException;
import io.etlstream.batch.TableId;
import io.etlstream.sink.snowflake.SnowflakeType.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

class NamingAndTypesTest {

    @Test
    void unquotedPostgresNamesBecomeUpperCaseSnowflakeNames() {
        DestinationTables t = DestinationTables.of(new TableId("public", "orders"), "analytics", "raw");
        assertThat(t.mirror().sql()).isEqualTo("ORDERS");
        assertThat(t.history().sql()).isEqualTo("ORDERS_HISTORY");
        assertThat(t.qualifiedHistory()).isEqualTo("ANALYTICS.RAW.ORDERS_HISTORY");
    }

    @Test
    void namesThatNeedQuotingKeepTheirCase() {
        DestinationTables t = DestinationTables.of(new TableId("public", "Order Lines"), "DB", "\"MySchema\"");
        assertThat(t.mirror().sql()).isEqualTo("\"Order Lines\"");
        assertThat(t.history().sql()).isEqualTo("\"Order Lines_HISTORY\"");
        assertThat(t.qualifiedMirror()).isEqualTo("DB.\"MySchema\".\"Order Lines\"");
        assertThat(SnowflakeName.fromPostgres("CamelCase").sql()).isEqualTo("\"CamelCase\"");
        assertThat(SnowflakeName.fromPostgres("a\"b").sql()).isEqualTo("\"a\"\"b\"");
        // reserved words resolve to upper case but must be quoted in SQL
        assertThat(SnowflakeName.fromPostgres("order").sql()).isEqualTo("\"ORDER\"");
        assertThat(SnowflakeName.fromPostgres("order").resolved()).isEqualTo("ORDER");
        assertThat(SnowflakeName.fromPostgres("select_count").sql()).isEqualTo("SELECT_COUNT");
        assertThatThrownBy(() -> SnowflakeName.fromUser("my db")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tablesFromTwoSchemasMayNotCollide() {
        var a = DestinationTables.of(new TableId("s1", "t"), "D", "S");
        var b = DestinationTables.of(new TableId("s2", "t"), "D", "S");
        assertThatThrownBy(() -> DestinationTables.requireDistinct(List.of(a, b)))
                .isInstanceOf(UserFacingException.class).hasMessageContaining("s1.t").hasMessageContaining("s2.t");
        DestinationTables.requireDistinct(List.of(a, DestinationTables.of(new TableId("s1", "u"), "D", "S")));
        var history = DestinationTables.of(new TableId("s1", "t_history"), "D", "S");
        assertThatThrownBy(() -> DestinationTables.requireDistinct(List.of(a, history)))
                .isInstanceOf(UserFacingException.class).hasMessageContaining("T_HISTORY");
    }

    private static int numericTypmod(int p, int s) {
        return ((p << 16) | (s & 0xFFFF)) + 4;
    }

    @Test
    void typeMapping() {
        assertThat(TypeMapping.map(1700, numericTypmod(12, 2)).ddl()).isEqualTo("NUMBER(12,2)");
        assertThat(TypeMapping.map(1700, numericTypmod(38, 10)).ddl()).isEqualTo("NUMBER(38,10)");
        assertThat(TypeMapping.map(1700, numericTypmod(5, -2)).ddl()).isEqualTo("NUMBER(7,0)");
        var wide = TypeMapping.mapWithFinding(1700, numericTypmod(50, 4));
        assertThat(wide.type().kind()).isEqualTo(Kind.VARCHAR);
        assertThat(wide.finding()).get().asString().contains("more digits than Snowflake's NUMBER (38)")
                .contains("Nothing is rounded");
        assertThat(wide.betterSourceType()).contains("numeric(38,4)");
        assertThat(TypeMapping.mapWithFinding(1700, -1).finding()).isPresent();
        assertThat(TypeMapping.map(1700, -1)).isEqualTo(TypeMapping.UNCONSTRAINED_NUMERIC);
        assertThat(TypeMapping.map(3802, -1).ddl()).isEqualTo("VARIANT");
        assertThat(TypeMapping.map(114, -1).ddl()).isEqualTo("VARIANT");
        assertThat(TypeMapping.map(1007, -1).ddl()).isEqualTo("ARRAY");
        assertThat(TypeMapping.map(1009, -1).ddl()).isEqualTo("ARRAY");
        assertThat(TypeMapping.map(1184, -1).ddl()).isEqualTo("TIMESTAMP_TZ(6)");
        assertThat(TypeMapping.map(1184, 3).ddl()).isEqualTo("TIMESTAMP_TZ(3)");
        assertThat(TypeMapping.map(1114, -1).ddl()).isEqualTo("TIMESTAMP_NTZ(6)");
        assertThat(TypeMapping.map(17, -1).ddl()).isEqualTo("BINARY");
        assertThat(TypeMapping.map(2950, -1).ddl()).isEqualTo("VARCHAR(36)");
        assertThat(TypeMapping.map(869, -1).ddl()).isEqualTo("VARCHAR");
        assertThat(TypeMapping.map(1186, -1).ddl()).isEqualTo("VARCHAR");
        assertThat(TypeMapping.map(16, -1).ddl()).isEqualTo("BOOLEAN");
        assertThat(TypeMapping.map(1082, -1).ddl()).isEqualTo("DATE");
        assertThat(TypeMapping.map(1083, -1).ddl()).isEqualTo("TIME(6)");
        assertThat(TypeMapping.map(1043, 24).ddl()).isEqualTo("VARCHAR(20)");
        assertThat(TypeMapping.map(20, -1).ddl()).isEqualTo("NUMBER(19,0)");
        assertThat(TypeMapping.map(701, -1).ddl()).isEqualTo("FLOAT");
        assertThat(TypeMapping.map(123456, -1).ddl()).as("enum / user type").isEqualTo("VARCHAR");
        // Only arrays the source delivers as lists become ARRAY; xml[], money[], bit[] arrive as text.
        assertThat(TypeMapping.map(143, -1).ddl()).as("xml[]").isEqualTo("VARCHAR");
        assertThat(TypeMapping.map(791, -1).ddl()).as("money[]").isEqualTo("VARCHAR");
        assertThat(TypeMapping.map(1561, -1).ddl()).as("bit[]").isEqualTo("VARCHAR");
    }

    @Test
    void widening() {
        assertThat(SnowflakeType.number(19, 0).widens(SnowflakeType.number(10, 0))).isTrue();
        assertThat(SnowflakeType.number(12, 3).widens(SnowflakeType.number(10, 2))).isFalse();
        assertThat(SnowflakeType.varchar(50).widens(SnowflakeType.varchar(20))).isTrue();
        assertThat(SnowflakeType.varchar(0).widens(SnowflakeType.varchar(20))).isTrue();
        assertThat(SnowflakeType.varchar(10).widens(SnowflakeType.varchar(20))).isFalse();
        assertThat(SnowflakeType.of(Kind.VARIANT).widens(SnowflakeType.varchar(0))).isFalse();
    }
}
