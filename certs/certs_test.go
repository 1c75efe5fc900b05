package certs

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vaxtrace"
	"vaxtrace/hcert"
)

func (f *fixture) issue(who vaxtrace.Principal, p vaxtrace.PersonID) Issued {
	f.t.Helper()
	is, err := f.svc.Issue(context.Background(), f.eng, who, p)
	if err != nil {
		f.t.Fatalf("issue: %v", err)
	}
	return is
}

func (f *fixture) verify(input []byte) hcert.Result {
	return f.svc.VerifyEngine(f.eng, input, f.now.Add(time.Hour))
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := vaxtrace.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

// noIIN fails if the IIN (or its sealed form) appears in any of the texts.
func noIIN(t *testing.T, iin string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, iin) {
			t.Fatalf("the IIN %s appears in %s", iin, s)
		}
	}
}

func TestIssueAndVerify(t *testing.T) {
	f := newFixture(t)
	p, iin := f.person("85010140000", "Сәрсенбаева", "Әлия", "KZ-AKM", day(1985, 1, 1))
	f.dose(p, ts(2021, 3, 1, 9), "pt-akm", "SV-I")
	f.dose(p, ts(2021, 3, 25, 9), "pt-akm", "SV-II")

	is := f.issue(admin, p)
	v := is.Payload.Vaccinations[0]
	want := hcert.Vaccination{Target: "840539006", Prophylaxis: "J07BX03", Product: "Sputnik-V", Manufacturer: "Gamaleya-Research-Institute",
		DoseNumber: 2, SeriesDoses: 2, Date: "2021-03-25", Country: "KZ", Issuer: DefaultIssuer, CertificateID: is.UVCI}
	if v != want {
		t.Fatalf("vaccination entry\n got %+v\nwant %+v", v, want)
	}
	if n := is.Payload.Name; n.FamilyT != "SARSENBAEVA" || n.GivenT != "ALIIA" || n.Family != "Сәрсенбаева" {
		t.Fatalf("name %+v", n)
	}
	if is.Payload.DateOfBirth != "1985-01-01" || is.Payload.Version != "1.3.0" {
		t.Fatalf("dob %q ver %q", is.Payload.DateOfBirth, is.Payload.Version)
	}
	if err := hcert.CheckUVCI(is.UVCI); err != nil || !strings.HasPrefix(is.UVCI, "URN:UVCI:01:KZ:") {
		t.Fatalf("uvci %s: %v", is.UVCI, err)
	}
	if !is.ExpiresAt.Equal(f.now.Add(Validity)) || !is.IssuedAt.Equal(f.now) {
		t.Fatalf("iat %s exp %s", is.IssuedAt, is.ExpiresAt)
	}

	res := f.verify([]byte(is.HC1))
	if !res.OK {
		t.Fatalf("verify: %s %s", res.Code, res.Reason)
	}
	if res.UVCI != is.UVCI || res.Payload.Vaccinations[0] != want {
		t.Fatalf("verified payload %+v", res.Payload)
	}
	if last := res.Steps[len(res.Steps)-1]; last.Step != hcert.StepRevocation || last.Skipped {
		t.Fatalf("revocation step %+v", last)
	}

	// The QR code decodes to the same HC1 and verifies as an image too.
	text, err := hcert.DecodeQRPNG(is.PNG)
	if err != nil || text != is.HC1 {
		t.Fatalf("QR decodes to %q (%v), want the HC1", text, err)
	}
	if r := f.verify(is.PNG); !r.OK {
		t.Fatalf("verify PNG: %s", r.Reason)
	}

	// The event is in the registry.
	f.eng.Read(func(st *vaxtrace.State) {
		c := st.Certificate(is.UVCI)
		if c == nil || c.Person != p || c.Dose != is.Dose || c.Revoked || c.KID != is.KID {
			t.Fatalf("certificate state %+v", c)
		}
	})

	// Never the IIN: not in the decoded hcert, the issued JSON, nor the
	// journal's certificate event.
	hc, _ := json.Marshal(res.HCert)
	out, _ := json.Marshal(is)
	noIIN(t, iin, string(hc), string(out), is.HC1)
	var sealed string
	f.eng.Read(func(st *vaxtrace.State) { sealed = st.PersonText(st.Person(p)).IINSealed() })
	noIIN(t, sealed, string(hc), string(out))
}

func TestCorrectionRevokesAndReissue(t *testing.T) {
	f := newFixture(t)
	p, _ := f.person("85010140001", "Ivanova", "Anna", "KZ-AKM", day(1985, 1, 1))
	f.dose(p, ts(2021, 3, 1, 9), "pt-akm", "SV-I")
	d2 := f.dose(p, ts(2021, 3, 25, 9), "pt-akm", "SV-II")
	old := f.issue(admin, p)
	if r := f.verify([]byte(old.HC1)); !r.OK {
		t.Fatal(r.Reason)
	}
	at := ts(2021, 3, 26, 9)
	f.must(vaxtrace.DoseCorrected{Dose: d2, At: &at, Reason: "entered the wrong day"})

	r := f.verify([]byte(old.HC1))
	if r.OK || r.Code != hcert.CodeRevoked || r.Err.Step != hcert.StepRevocation {
		t.Fatalf("after correction: ok %v code %s", r.OK, r.Code)
	}
	var reason string
	f.eng.Read(func(st *vaxtrace.State) { reason = st.Certificate(old.UVCI).RevokedBy })
	if !strings.Contains(reason, "dose corrected") {
		t.Fatalf("revoked by %q", reason)
	}

	// The offline path (published trust and revocation lists) agrees.
	trust, err := ParseTrustList(f.svc.TrustListJSON())
	if err != nil {
		t.Fatal(err)
	}
	var rl []byte
	f.eng.Read(func(st *vaxtrace.State) { rl = RevocationListJSON(st) })
	rev, err := ParseRevocationList(rl)
	if err != nil {
		t.Fatal(err)
	}
	if r := hcert.Verify([]byte(old.HC1), trust, f.now, rev); r.Code != hcert.CodeRevoked {
		t.Fatalf("offline: %s", r.Code)
	}

	neu := f.issue(admin, p)
	if neu.UVCI == old.UVCI || neu.Payload.Vaccinations[0].Date != "2021-03-26" {
		t.Fatalf("reissue: %s %+v", neu.UVCI, neu.Payload.Vaccinations[0])
	}
	if r := f.verify([]byte(neu.HC1)); !r.OK {
		t.Fatalf("reissued: %s", r.Reason)
	}
	if r := hcert.Verify([]byte(neu.HC1), trust, f.now, rev); !r.OK {
		t.Fatalf("reissued offline: %s", r.Reason)
	}

	// An explicit revocation and a person update revoke too.
	f.must(vaxtrace.CertificateRevoked{UVCI: neu.UVCI, Reason: "lost"})
	if r := f.verify([]byte(neu.HC1)); r.Code != hcert.CodeRevoked {
		t.Fatalf("explicit: %s", r.Code)
	}
	third := f.issue(admin, p)
	var per vaxtrace.Person
	f.eng.Read(func(st *vaxtrace.State) { per = st.PersonDetails(st.Person(p)) })
	per.Given = "Anna-Maria"
	f.must(vaxtrace.PersonUpdated{Person: per, Reason: "name"})
	if r := f.verify([]byte(third.HC1)); r.Code != hcert.CodeRevoked {
		t.Fatalf("after person update: %s", r.Code)
	}
	if fourth := f.issue(admin, p); fourth.Payload.Name.GivenT != "ANNA<MARIA" {
		t.Fatalf("gnt %q", fourth.Payload.Name.GivenT)
	}
}

func TestQazVacAndBooster(t *testing.T) {
	f := newFixture(t)
	q, _ := f.person("90020240002", "Ахметов", "Қайрат", "KZ-ALA", day(1990, 2, 2))
	f.dose(q, ts(2021, 4, 1, 9), "pt-ala", "QV-1")
	is := f.issue(admin, q)
	v := is.Payload.Vaccinations[0]
	if v.Product != "ICD11:XM97N6" || v.Prophylaxis != "J07BX03" || v.DoseNumber != 1 || v.SeriesDoses != 2 ||
		v.Manufacturer != "Research Institute for Biological Safety Problems (RIBSP)" {
		t.Fatalf("QazVac entry %+v", v)
	}
	if is.Payload.Name.GivenT != "KAIRAT" || is.Product != "QazVac (QazCovid-in)" {
		t.Fatalf("%+v %q", is.Payload.Name, is.Product)
	}
	if r := f.verify([]byte(is.HC1)); !r.OK {
		t.Fatalf("QazVac certificate: %s", r.Reason)
	}

	// Booster after a completed Sputnik V series: 3/3 (EU rule), product
	// Sputnik Light.
	b, _ := f.person("80030340003", "Petrov", "Pyotr", "KZ-AKM", day(1980, 3, 3))
	f.dose(b, ts(2021, 3, 1, 9), "pt-akm", "SV-I")
	f.dose(b, ts(2021, 3, 25, 9), "pt-akm", "SV-II")
	second := f.issue(admin, b)
	f.dose(b, ts(2021, 10, 5, 9), "pt-akm", "SL-1")
	boost := f.issue(admin, b)
	bv := boost.Payload.Vaccinations[0]
	if bv.DoseNumber != 3 || bv.SeriesDoses != 3 || bv.Product != "Sputnik-Light" || bv.Date != "2021-10-05" {
		t.Fatalf("booster entry %+v", bv)
	}
	// A new dose does not revoke the certificate of the earlier one.
	for _, c := range []Issued{second, boost} {
		if r := f.verify([]byte(c.HC1)); !r.OK {
			t.Fatalf("%s: %s", c.UVCI, r.Reason)
		}
	}
}

func TestIssueRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p, _ := f.person("85010140004", "Ivanov", "Ivan", "KZ-AKM", day(1985, 1, 1))
	_, err := f.svc.Issue(ctx, f.eng, admin, p)
	wantCode(t, err, vaxtrace.ECONFLICT) // no dose yet
	_, err = f.svc.Issue(ctx, f.eng, admin, vaxtrace.PersonID{1})
	wantCode(t, err, vaxtrace.ENOTFOUND)
	f.dose(p, ts(2021, 3, 1, 9), "pt-akm", "SV-I")

	// Scope: the dose was given at pt-akm (region KZ-AKM).
	for _, c := range []struct {
		who  vaxtrace.Principal
		code string
	}{
		{vaxtrace.Principal{Name: "ala", Role: vaxtrace.RoleRegion, Region: "KZ-ALA"}, vaxtrace.EFORBIDDEN},
		{vaxtrace.Principal{Name: "pt-ala", Role: vaxtrace.RolePoint, Place: "pt-ala"}, vaxtrace.EFORBIDDEN},
		{vaxtrace.Principal{Name: "aud", Role: vaxtrace.RoleAuditor}, vaxtrace.EFORBIDDEN},
		{vaxtrace.Principal{Name: "pub", Role: vaxtrace.RolePublic}, vaxtrace.EFORBIDDEN},
		{vaxtrace.Principal{Name: "akm", Role: vaxtrace.RoleRegion, Region: "KZ-AKM"}, ""},
		{vaxtrace.Principal{Name: "pt-akm", Role: vaxtrace.RolePoint, Place: "pt-akm"}, ""},
	} {
		is, err := f.svc.Issue(ctx, f.eng, c.who, p)
		if vaxtrace.ErrorCode(err) != c.code {
			t.Fatalf("%s: %v, want %q", c.who.Name, err, c.code)
		}
		if err == nil {
			if is.Payload.Vaccinations[0].DoseNumber != 1 || is.Payload.Vaccinations[0].SeriesDoses != 2 {
				t.Fatalf("%+v", is.Payload.Vaccinations[0])
			}
		}
	}
}

func TestRotationAndReopen(t *testing.T) {
	f := newFixture(t)
	p, _ := f.person("85010140005", "Ivanova", "Olga", "KZ-AKM", day(1985, 1, 1))
	f.dose(p, ts(2021, 3, 1, 9), "pt-akm", "SV-I")
	before := f.issue(admin, p)
	if _, err := f.svc.Rotate(f.now); err != nil {
		t.Fatal(err)
	}
	// the old DSC still verifies: issuing again returns the same certificate
	if again := f.issue(admin, p); !again.Existing || again.UVCI != before.UVCI || again.KID != before.KID {
		t.Fatalf("after rotation: %s existing %v, want %s existing", again.UVCI, again.Existing, before.UVCI)
	}
	f.dose(p, ts(2021, 3, 25, 9), "pt-akm", "SV-II")
	after := f.issue(admin, p)
	if before.KID == after.KID || after.Existing {
		t.Fatal("rotation did not change the signing key")
	}
	if n := f.svc.TrustList().Len(); n != 2 {
		t.Fatalf("trust list has %d DSCs, want 2", n)
	}
	for _, c := range []Issued{before, after} {
		if r := f.verify([]byte(c.HC1)); !r.OK {
			t.Fatalf("%s: %s", c.KID, r.Reason)
		}
	}
	// Reopen from disk: both keys are there, and the rotated one is active.
	s2, err := Open(f.dir, "test passphrase", "KZ", f.now)
	if err != nil {
		t.Fatal(err)
	}
	if s2.TrustList().Len() != 2 || string(s2.TrustListJSON()) != string(f.svc.TrustListJSON()) {
		t.Fatal("reopened trust list differs")
	}
	if r := s2.VerifyEngine(f.eng, []byte(before.HC1), f.now); !r.OK {
		t.Fatalf("old certificate via reopened service: %s", r.Reason)
	}
	if _, err := Open(f.dir, "wrong", "KZ", f.now); err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := Open(f.dir, "test passphrase", "UZ", f.now); err == nil {
		t.Fatal("opened the KZ authority as UZ")
	}
	fi, err := os.Stat(filepath.Join(f.dir, AuthorityFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("authority file mode %v (%v)", fi.Mode(), err)
	}
	raw, _ := os.ReadFile(filepath.Join(f.dir, AuthorityFile))
	if strings.Contains(string(raw), "PRIVATE KEY") {
		t.Fatal("authority file holds a clear private key")
	}
}

func TestPassphraseFromEnv(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x.certs")
	t.Setenv(PassphraseEnv, "")
	p1, fromFile, err := PassphraseFromEnv(dir)
	if err != nil || !fromFile || len(p1) < 40 {
		t.Fatalf("%q %v %v", p1, fromFile, err)
	}
	fi, err := os.Stat(filepath.Join(dir, PassphraseFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("passphrase file: %v %v", fi, err)
	}
	if p2, _, _ := PassphraseFromEnv(dir); p2 != p1 {
		t.Fatal("passphrase changed between calls")
	}
	if _, err := Open(dir, p1, "KZ", time.Now()); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, PassphraseFile))
	if _, _, err := PassphraseFromEnv(dir); err == nil {
		t.Fatal("an existing authority got a new random passphrase")
	}
	t.Setenv(PassphraseEnv, "from-env")
	if p, fromFile, err := PassphraseFromEnv(dir); p != "from-env" || fromFile || err != nil {
		t.Fatalf("%q %v %v", p, fromFile, err)
	}
}

func TestParseLists(t *testing.T) {
	if _, err := ParseRevocationList([]byte(`["zz"]`)); err == nil {
		t.Fatal("accepted a bad hash")
	}
	if _, err := ParseRevocationList([]byte(`{}`)); err == nil {
		t.Fatal("accepted an object")
	}
	if _, err := ParseTrustList([]byte(`[]`)); err == nil {
		t.Fatal("accepted an empty trust list")
	}
}
