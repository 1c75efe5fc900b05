package hcert

import (
	"testing"
)

func BenchmarkIssue(b *testing.B) {
	a := testAuthority(b)
	p := samplePayload()
	exp := t0.AddDate(1, 0, 0)
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.Issue(p, t0, exp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := a.Issue(p, t0, exp); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkQRPNG(b *testing.B) {
	hc1 := issueSample(b, testAuthority(b))
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := QRPNG(hc1, 300); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := QRPNG(hc1, 300); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkVerify(b *testing.B) {
	a := testAuthority(b)
	in := []byte(issueSample(b, a))
	trust := a.TrustList()
	rev := RevocationSet{}
	rev.Add("URN:UVCI:01:KZ:OTHER#A")
	clock := t0.AddDate(0, 1, 0)
	check := func(b *testing.B, v *Verifier) {
		if r := v.Verify(in, clock); !r.OK {
			b.Fatal(r.Reason)
		}
	}
	for _, bc := range []struct {
		name string
		v    *Verifier
	}{
		{"builtin", &Verifier{Trust: trust, Revocations: rev}},
		{"jsonschema", &Verifier{Trust: trust, Revocations: rev, Schemas: testSchemas(b)}},
	} {
		b.Run(bc.name+"/serial", func(b *testing.B) {
			for b.Loop() {
				check(b, bc.v)
			}
		})
		b.Run(bc.name+"/parallel", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if r := bc.v.Verify(in, clock); !r.OK {
						b.Error(r.Reason)
						return
					}
				}
			})
		})
	}
}
