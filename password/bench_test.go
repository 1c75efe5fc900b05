package password
import "testing"
func BenchmarkHash(b *testing.B) { for i := 0; i < b.N; i++ { Hash("correct horse battery") } }
