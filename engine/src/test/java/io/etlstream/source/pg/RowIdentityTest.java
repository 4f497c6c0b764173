package io.etlstream.source.pg;

import static org.assertj.core.api.Assertions.assertThat;

import io.etlstream.source.pg.pgoutput.PgOutputMessage.Relation;
import io.etlstream.source.pg.pgoutput.PgOutputMessage.RelationColumn;
import io.etlstream.source.pg.types.PgType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a FULL Relation's key flags are replaced by the primary key read from the catalog. */
class RowIdentityTest {

    private static final Relation FULL = new Relation(5, 42, "public", "t", 'f', List.of(
            new RelationColumn(true, "id", PgType.INT4, -1), new RelationColumn(true, "k", PgType.TEXT, -1),
            new RelationColumn(true, "v", PgType.TEXT, -1)));

    private static List<String> keys(Relation r) {
        return r.columns().stream().filter(RelationColumn::key).map(RelationColumn::name).toList();
    }

    @Test
    void onlyThePrimaryKeyColumnsStayFlaggedAndEverythingElseIsKept() {
        Relation r = RowIdentity.withKey(FULL, List.of("k", "id"));
        assertThat(keys(r)).containsExactly("id", "k");
        assertThat(r.replicaIdentity()).isEqualTo('f');
        assertThat(r.streamXid()).isEqualTo(5);
        assertThat(r.relationId()).isEqualTo(42);
        assertThat(r.columns()).extracting(RelationColumn::name).containsExactly("id", "k", "v");
        assertThat(r.columns()).extracting(RelationColumn::typeOid).containsExactly(PgType.INT4, PgType.TEXT,
                PgType.TEXT);
    }

    @Test
    void noPrimaryKeyOrOneTheMessageDoesNotHaveMeansNoKey() {
        assertThat(keys(RowIdentity.withKey(FULL, List.of()))).isEmpty();
        // a key column renamed since the message was written: half a key would merge different rows
        assertThat(keys(RowIdentity.withKey(FULL, List.of("id", "renamed")))).isEmpty();
    }
}
