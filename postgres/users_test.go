package postgres_test

import (
	"testing"

	"vaxtrace/journaltest"
)

func TestUsers(t *testing.T) { journaltest.RunUsers(t, stores) }
