package password

import "testing"

// BenchmarkHash measures one argon2id hash at the default cost: what a
// sign-in costs the server.
func BenchmarkHash(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Hash("correct horse battery")
	}
}
