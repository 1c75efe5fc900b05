package journaltest_test

import (
	"testing"

	"vaxtrace/journaltest"
)

func TestSQLiteUsers(t *testing.T) { journaltest.RunUsers(t, sqliteStores) }
