package certs

import (
	"context"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/engine"
)

// TestConcurrentIssueCorrectRotate issues from several goroutines while
// another corrects the certified dose and a third rotates the key: every
// certificate Issue returns either matches the record or is revoked, and
// every one still verifies or is reported revoked.
func TestConcurrentIssueCorrectRotate(t *testing.T) {
	f := newFixture(t)
	p, _ := f.person("85010140020", "Ivanova", "Anna", "KZ-AKM", day(1985, 1, 1))
	f.dose(p, ts(2021, 3, 1, 9), "pt-akm", "SV-I")
	d2 := f.dose(p, ts(2021, 3, 25, 9), "pt-akm", "SV-II")
	ctx := context.Background()
	var (
		mu     sync.Mutex
		issued []Issued
		wg     sync.WaitGroup
	)
	var issuers sync.WaitGroup
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		issuers.Add(1)
		go func() {
			defer issuers.Done()
			for i := 0; i < 10; i++ {
				is, err := f.svc.Issue(ctx, f.eng, admin, p)
				if err != nil {
					if vaxtrace.ErrorCode(err) != vaxtrace.ECONFLICT {
						t.Error(err)
					}
					continue
				}
				mu.Lock()
				issued = append(issued, is)
				mu.Unlock()
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			case <-time.After(3 * time.Millisecond):
			}
			at := ts(2021, 3, 25+i%2, 9+i%5)
			r := f.eng.Submit(ctx, engine.Command{Key: "fix:" + strconv.Itoa(i), Actor: admin, Data: vaxtrace.DoseCorrected{Dose: d2, At: &at, Reason: "fix " + strconv.Itoa(i)}})
			if r.Err != nil {
				t.Error(r.Err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 2; i++ {
			if _, err := f.svc.Rotate(f.now); err != nil {
				t.Error(err)
			}
		}
	}()
	issuers.Wait()
	close(done)
	wg.Wait()
	if len(issued) == 0 {
		t.Fatal("nothing issued")
	}
	active := 0
	for _, is := range issued {
		var stale, revoked bool
		f.eng.Read(func(st *vaxtrace.State) {
			revoked = st.Certificate(is.UVCI).Revoked
			b, err := f.svc.build(st, p, is.Dose, is.UVCI)
			stale = err != nil || !reflect.DeepEqual(b.payload, is.Payload)
		})
		if stale && !revoked {
			t.Fatalf("certificate %s states stale data and is not revoked", is.UVCI)
		}
		r := f.verify([]byte(is.HC1))
		if r.OK == revoked {
			t.Fatalf("%s: revoked %v but verify ok %v (%s)", is.UVCI, revoked, r.OK, r.Reason)
		}
		if !revoked {
			active++
		}
	}
	t.Logf("%d issued, %d still active, trust list %d", len(issued), active, f.svc.TrustList().Len())
}
