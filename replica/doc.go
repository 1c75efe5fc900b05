// Package replica holds tests that run vaxtrace against a PostgreSQL
// streaming replica (hot standby) of the primary journal, and the
// measurements behind docs/SCALE.md. It has no non-test code.
//
// The tests need a primary at VAXTRACE_PG_URL (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable, trust auth) and
// run scripts/pg-replica.sh, which may add a replication rule to the
// primary's pg_hba.conf and reload it. Because that changes a shared server,
// they skip unless VAXTRACE_REPLICA_TEST=1 (and then fail, not skip, when
// the replica cannot be made). TestMeasure, which loads 200,000 doses, runs
// only with VAXTRACE_SCALE_MEASURE=1.
package replica
