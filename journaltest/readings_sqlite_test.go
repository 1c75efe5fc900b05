package journaltest_test

import (
	"testing"

	"vaxtrace/journaltest"
)

func TestSQLiteReadings(t *testing.T) { journaltest.RunReadings(t, sqliteStores) }
