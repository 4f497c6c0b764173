/**
 * The pgoutput logical replication protocol, versions 1 and 2 (streaming of in-progress transactions): message
 * records and a pure decoder. No I/O, no catalog access; tested on byte fixtures captured from PostgreSQL 14 and
 * 17 (src/test/resources/pgoutput).
 */
package io.etlstream.source.pg.pgoutput;
