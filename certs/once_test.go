package certs

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"vaxtrace"
	"vaxtrace/engine"
)

// TestIssueOnce: issuing again for the same dose returns the live
// certificate and journals nothing; a revocation (void, correction) or a
// later dose gives a new one.
func TestIssueOnce(t *testing.T) {
	ctx := context.Background()
	type step struct {
		do   string // "issue" or an action on the record
		same bool   // for "issue": the previous certificate comes back
	}
	for _, c := range []struct {
		name  string
		doses int
		steps []step
	}{
		{"twice", 1, []step{{"issue", false}, {"issue", true}, {"issue", true}}},
		{"reopened service", 1, []step{{"issue", false}, {"reopen", false}, {"issue", true}}},
		{"void the latest dose", 2, []step{{"issue", false}, {"void", false}, {"issue", false}, {"issue", true}}},
		{"correct the dose", 1, []step{{"issue", false}, {"correct", false}, {"issue", false}, {"issue", true}}},
		{"revoke", 1, []step{{"issue", false}, {"revoke", false}, {"issue", false}, {"issue", true}}},
		{"second dose", 1, []step{{"issue", false}, {"dose2", false}, {"issue", false}, {"issue", true}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			p, _ := f.person("85010140030", "Sadykova", "Aida", "KZ-AKM", day(1985, 1, 1))
			d1 := f.dose(p, ts(2021, 3, 1, 9), "pt-akm", "SV-I")
			latest := d1
			if c.doses == 2 {
				latest = f.dose(p, ts(2021, 3, 25, 9), "pt-akm", "SV-II")
			}
			svc := f.svc
			var prev Issued
			seen := map[string]bool{}
			for i, s := range c.steps {
				switch s.do {
				case "issue":
					var seq uint64
					f.eng.Read(func(st *vaxtrace.State) { seq = st.Seq })
					is, err := svc.Issue(ctx, f.eng, admin, p)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					var after uint64
					var n int
					f.eng.Read(func(st *vaxtrace.State) { after, n = st.Seq, len(st.PersonCertificates(p)) })
					if s.same {
						if !is.Existing || is.UVCI != prev.UVCI || is.Seq != 0 || after != seq {
							t.Fatalf("step %d: got %s existing %v seq %d→%d, want %s again and nothing journaled", i, is.UVCI, is.Existing, seq, after, prev.UVCI)
						}
						if !equalPayload(is, prev) || is.IssuedAt != prev.IssuedAt || is.ExpiresAt != prev.ExpiresAt || is.KID != prev.KID {
							t.Fatalf("step %d: the existing certificate states other claims", i)
						}
					} else {
						if is.Existing || seen[is.UVCI] || after != seq+1 || n != len(seen)+1 {
							t.Fatalf("step %d: got %s existing %v seq %d→%d, %d certificates, want a new one", i, is.UVCI, is.Existing, seq, after, n)
						}
					}
					if r := f.verify([]byte(is.HC1)); !r.OK {
						t.Fatalf("step %d: %s does not verify: %s", i, is.UVCI, r.Reason)
					}
					seen[is.UVCI] = true
					prev = is
				case "reopen":
					s2, err := Load(f.dir, "test passphrase", "KZ")
					if err != nil {
						t.Fatal(err)
					}
					s2.Now = svc.Now
					svc = s2
				case "void":
					f.must(vaxtrace.DoseVoided{Dose: latest, Reason: "entered in error"})
					latest = d1
				case "correct":
					at := ts(2021, 3, 2, 9)
					f.must(vaxtrace.DoseCorrected{Dose: latest, At: &at, Reason: "wrong day"})
				case "revoke":
					f.must(vaxtrace.CertificateRevoked{UVCI: prev.UVCI, Reason: "lost"})
				case "dose2":
					latest = f.dose(p, ts(2021, 3, 25, 9), "pt-akm", "SV-II")
				}
				if s.do != "issue" && s.do != "reopen" && s.do != "dose2" {
					var revoked bool
					f.eng.Read(func(st *vaxtrace.State) { revoked = st.Certificate(prev.UVCI).Revoked })
					if !revoked {
						t.Fatalf("step %d (%s): %s not revoked", i, s.do, prev.UVCI)
					}
				}
			}
		})
	}
}

func equalPayload(a, b Issued) bool { return reflect.DeepEqual(a.Payload, b.Payload) }

// TestConcurrentIssueOnce: concurrent issuances for one person yield one
// certificate, which every caller gets.
func TestConcurrentIssueOnce(t *testing.T) {
	f := newFixture(t)
	p, _ := f.person("85010140040", "Omarova", "Dana", "KZ-AKM", day(1985, 1, 1))
	f.dose(p, ts(2021, 3, 1, 9), "pt-akm", "SV-I")
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		got []Issued
	)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			is, err := f.svc.Issue(context.Background(), f.eng, admin, p)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, is)
			mu.Unlock()
		}()
	}
	wg.Wait()
	fresh := 0
	for _, is := range got {
		if is.UVCI != got[0].UVCI {
			t.Fatalf("two certificates: %s and %s", got[0].UVCI, is.UVCI)
		}
		if !is.Existing {
			fresh++
		}
	}
	var n int
	f.eng.Read(func(st *vaxtrace.State) { n = len(st.PersonCertificates(p)) })
	if n != 1 || fresh != 1 || len(got) != 8 {
		t.Fatalf("%d certificates recorded, %d returned as new, %d answers", n, fresh, len(got))
	}
	// the engine itself refuses a second live certificate for the dose
	var c vaxtrace.CertificateIssued
	f.eng.Read(func(st *vaxtrace.State) { c = st.PersonCertificates(p)[0].CertificateIssued })
	c.UVCI += "X"
	r := f.eng.Submit(context.Background(), engine.Command{Key: "second", Actor: admin, Data: c})
	if vaxtrace.ErrorCode(r.Err) != vaxtrace.ECONFLICT {
		t.Fatalf("second live certificate for a dose: %v", r.Err)
	}
}
