package sqlite

import (
	_ "github.com/mattn/go-sqlite3" // cgo SQLite; measured faster for the journal's group commits
	_ "modernc.org/sqlite"          // pure-Go SQLite; registered for the driver benchmark
)
