package postgres_test

import (
	"testing"

	"vaxtrace/journaltest"
)

func TestReadings(t *testing.T) { journaltest.RunReadings(t, stores) }
