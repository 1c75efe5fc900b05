package certs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// benchPeople registers n people with two Sputnik V doses each.
func benchPeople(b *testing.B, f *fixture, n int) []vaxtrace.PersonID {
	var ids []vaxtrace.PersonID
	for k := 0; len(ids) < n; k++ {
		prefix := fmt.Sprintf("850101%05d", 40000+k)
		if _, ok := vaxtrace.CompleteIIN(prefix); !ok {
			continue
		}
		id, _ := f.person(prefix, "Ivanova", "Anna", "KZ-AKM", day(1985, 1, 1))
		f.dose(id, ts(2021, 3, 1, 9), "pt-akm", "SV-I")
		f.dose(id, ts(2021, 3, 25, 9), "pt-akm", "SV-II")
		ids = append(ids, id)
	}
	return ids
}

// BenchmarkIssue measures end-to-end issuance through the Service: state
// read and payload build, ES256 signature, QR PNG, the CertificateIssued
// write through the engine (SQLite, fsync per group commit) and the
// post-write check. Each iteration also revokes the certificate it got, so
// that the next round over the people signs new ones instead of returning
// live certificates (see Issue).
func BenchmarkIssue(b *testing.B) {
	f := newFixture(b)
	ids := benchPeople(b, f, 50)
	ctx := context.Background()
	i := 0
	start := time.Now()
	for b.Loop() {
		is, err := f.svc.Issue(ctx, f.eng, admin, ids[i%len(ids)])
		if err != nil {
			b.Fatal(err)
		}
		revokeBench(b, f, is)
		i++
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "issues/s")
}

// BenchmarkIssueParallel issues from many goroutines (as API requests do):
// the engine's group commit shares fsyncs among concurrent issuances. Each
// iteration revokes what it got, as in BenchmarkIssue; goroutines that hit
// the same person at once share one certificate.
func BenchmarkIssueParallel(b *testing.B) {
	f := newFixture(b)
	ids := benchPeople(b, f, 50)
	ctx := context.Background()
	b.SetParallelism(8)
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			is, err := f.svc.Issue(ctx, f.eng, admin, ids[i%len(ids)])
			if err != nil {
				// another goroutine may revoke the certificate this one just
				// recorded before its post-write check: ECONFLICT, retry
				if vaxtrace.ErrorCode(err) != vaxtrace.ECONFLICT {
					b.Error(err)
					return
				}
				i++
				continue
			}
			revokeBench(b, f, is)
			i++
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "issues/s")
}

// revokeBench revokes is unless it is already revoked (another goroutine
// got the same certificate).
func revokeBench(b *testing.B, f *fixture, is Issued) {
	r := f.eng.Submit(context.Background(), engine.Command{Key: "bench-revoke:" + is.UVCI, Actor: admin,
		Data: vaxtrace.CertificateRevoked{UVCI: is.UVCI, Reason: "benchmark"}})
	if r.Err != nil && vaxtrace.ErrorCode(r.Err) != vaxtrace.ECONFLICT {
		b.Error(r.Err)
	}
}

// BenchmarkVerify measures verification of an HC1 string against the trust
// list and the state's revocations.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	ids := benchPeople(b, f, 1)
	is, err := f.svc.Issue(context.Background(), f.eng, admin, ids[0])
	if err != nil {
		b.Fatal(err)
	}
	in := []byte(is.HC1)
	for b.Loop() {
		if r := f.svc.VerifyEngine(f.eng, in, f.now); !r.OK {
			b.Fatal(r.Reason)
		}
	}
}

// BenchmarkBuildAndSign is Issue without the QR code and the journal write:
// state read, payload build and ES256 signature.
func BenchmarkBuildAndSign(b *testing.B) {
	f := newFixture(b)
	ids := benchPeople(b, f, 1)
	a := f.svc.Authority()
	for b.Loop() {
		var bt built
		var err error
		f.eng.Read(func(st *vaxtrace.State) { bt, err = f.svc.build(st, ids[0], "", newUVCI()) })
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Issue(bt.payload, f.now, f.now.Add(Validity)); err != nil {
			b.Fatal(err)
		}
	}
}
