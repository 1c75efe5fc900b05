package hcert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

var t0 = time.Date(2021, 6, 1, 9, 0, 0, 0, time.UTC)

var (
	authOnce sync.Once
	authVal  *Authority
)

// testAuthority is shared by tests that do not mutate it.
func testAuthority(t testing.TB) *Authority {
	authOnce.Do(func() {
		var err error
		if authVal, err = GenerateAuthority("KZ", t0); err != nil {
			panic(err)
		}
	})
	return authVal
}

func samplePayload() Payload {
	return NewPayload("Сәтбаев", "Қаныш Имантайұлы", "1979-04-12", Vaccination{
		Prophylaxis:   "J07BX03",
		Product:       "Sputnik-V",
		Manufacturer:  "Gamaleya-Research-Institute",
		DoseNumber:    2,
		SeriesDoses:   2,
		Date:          "2021-05-20",
		Country:       "KZ",
		Issuer:        "Ministry of Healthcare of the Republic of Kazakhstan",
		CertificateID: NewUVCI("KZ", "VAXTRACE/0001/42"),
	})
}

func issueSample(t testing.TB, a *Authority) string {
	t.Helper()
	hc1, err := a.Issue(samplePayload(), t0, t0.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return hc1
}

func TestBase45RFCVectors(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{"AB", "BB8"}, {"Hello!!", "%69 VD92EX0"}, {"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"}, {"", ""},
	} {
		if got := Base45Encode([]byte(c.in)); got != c.out {
			t.Errorf("encode %q = %q, want %q", c.in, got, c.out)
		}
		if got, err := Base45Decode(c.out); err != nil || string(got) != c.in {
			t.Errorf("decode %q = %q, %v", c.out, got, err)
		}
	}
	for _, bad := range []struct{ in, why string }{
		{"A", "length"}, {"GGW", "65535"}, {"ZZZ", "65535"}, {"A0", ""}, {"GG", "255"},
		{"abc", "invalid character"}, {"AB\n", "invalid character"}, {"ABCD", "length"},
	} {
		_, err := Base45Decode(bad.in)
		if bad.why == "" {
			if err != nil {
				t.Errorf("%q: unexpected %v", bad.in, err)
			}
			continue
		}
		if !errors.Is(err, ErrBase45) || !strings.Contains(err.Error(), bad.why) {
			t.Errorf("%q: err = %v, want %q", bad.in, err, bad.why)
		}
	}
}

func TestTransliterate(t *testing.T) {
	for in, want := range map[string]string{
		"Сәтбаев":                 "SATBAEV",
		"Қаныш Имантайұлы":        "KANYSH<IMANTAIULY",
		"Нұрсұлтан":               "NURSULTAN",
		"Ғалымжан":                "GALYMZHAN",
		"Өмірзақ":                 "OMIRZAK",
		"Үміт":                    "UMIT",
		"Әлия":                    "ALIIA",
		"Ілияс Жансүгіров":        "ILIIAS<ZHANSUGIROV",
		"Айгүл-Һәдия":             "AIGUL<HADIIA",
		"Ертаңов":                 "ERTANOV",
		"Щукина Юлия":             "SHCHUKINA<IULIIA",
		"Подъячев":                "PODIEIACHEV",
		"Соловьёв":                "SOLOVEV",
		"Musterfrau-Gößinger":     "MUSTERFRAU<GOESSINGER",
		"Rogaliński-Król":         "ROGALINSKI<KROL",
		"D'Artagnan":              "DARTAGNAN",
		"  van   der Berg ":       "VAN<DER<BERG",
		"Čivić":                   "CIVIC",
		strings.Repeat("Абв", 40): strings.Repeat("ABV", 40)[:80],
	} {
		if got := Transliterate(in); got != want {
			t.Errorf("Transliterate(%q) = %q, want %q", in, got, want)
		}
		if got := Transliterate(in); !reICAO.MatchString(got) {
			t.Errorf("Transliterate(%q) = %q is not ICAO", in, got)
		}
	}
}

func TestUVCI(t *testing.T) {
	// Example from the ehn-dcc-schema FAQ "UVCI checksum".
	if err := CheckUVCI("URN:UVCI:01:NL:187/37512422923#Z"); err != nil {
		t.Fatal(err)
	}
	u := NewUVCI("KZ", "vaxtrace/0001/42")
	if !strings.HasPrefix(u, "URN:UVCI:01:KZ:VAXTRACE/0001/42#") || CheckUVCI(u) != nil {
		t.Fatalf("NewUVCI = %q", u)
	}
	bad := u[:len(u)-1] + string(uvciCharset[(strings.IndexByte(uvciCharset, u[len(u)-1])+1)%38])
	if err := CheckUVCI(bad); !errors.Is(err, ErrUVCI) {
		t.Fatalf("CheckUVCI(%q) = %v", bad, err)
	}
	// Any single-character substitution is detected.
	body := u[:len(u)-2]
	for i := len("URN:UVCI:01:"); i < len(body); i++ {
		for _, c := range []byte("A0/") {
			if body[i] == c {
				continue
			}
			mut := body[:i] + string(c) + body[i+1:] + u[len(u)-2:]
			if CheckUVCI(mut) == nil {
				t.Errorf("substitution not detected: %s", mut)
			}
		}
	}
}

func TestRoundTripQR(t *testing.T) {
	a := testAuthority(t)
	hc1 := issueSample(t, a)
	if !strings.HasPrefix(hc1, "HC1:NCF") {
		t.Fatalf("unexpected HC1 %.20s", hc1)
	}
	png, err := QRPNG(hc1, 400)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeQRPNG(png)
	if err != nil {
		t.Fatal(err)
	}
	if got != hc1 {
		t.Fatalf("QR round trip changed the text")
	}
	clock := t0.AddDate(0, 1, 0)
	for name, in := range map[string][]byte{"hc1": []byte(hc1), "base45": []byte(hc1[4:]), "png": png, "hc1+newline": []byte(hc1 + "\n")} {
		res := Verify(in, a.TrustList(), clock, RevocationSet{})
		if !res.OK {
			t.Fatalf("%s: verify failed: %s", name, res.Reason)
		}
		if res.HC1 != hc1 || res.Type != TypeVaccination || res.Issuer != "KZ" ||
			res.Payload.Name.FamilyT != "SATBAEV" || res.Payload.Vaccinations[0].DoseNumber != 2 ||
			!res.IssuedAt.Equal(t0) || res.UVCI != samplePayload().Vaccinations[0].CertificateID {
			t.Fatalf("%s: unexpected result %+v", name, res)
		}
	}
	// Full JSON-schema validation of our own output (DCC 1.3.0).
	v := Verifier{Trust: a.TrustList(), Schemas: testSchemas(t), CheckValueSets: true}
	if res := v.Verify([]byte(hc1), clock); !res.OK {
		t.Fatalf("schema verify: %s", res.Reason)
	}
}

func TestRevokedAndRotation(t *testing.T) {
	a, err := GenerateAuthority("KZ", t0)
	if err != nil {
		t.Fatal(err)
	}
	old := issueSample(t, a)
	oldKID := a.Active().KID
	if _, err := a.AddSigner(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	p := samplePayload()
	p.Vaccinations[0].CertificateID = NewUVCI("KZ", "VAXTRACE/0002/7")
	newer, err := a.Issue(p, t0.Add(2*time.Hour), t0.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	// Publish and re-load the trust list, as a verifier would.
	pub, err := json.Marshal(a.TrustList())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(pub, []byte("PRIVATE")) {
		t.Fatal("trust list leaks private key material")
	}
	var tl TrustList
	if err := json.Unmarshal(pub, &tl); err != nil {
		t.Fatal(err)
	}
	if tl.Len() != 2 {
		t.Fatalf("trust list has %d DSCs, want 2", tl.Len())
	}
	clock := t0.AddDate(0, 2, 0)
	r1, r2 := Verify([]byte(old), &tl, clock, nil), Verify([]byte(newer), &tl, clock, nil)
	if !r1.OK || !r2.OK {
		t.Fatalf("rotation: old=%s new=%s", r1.Reason, r2.Reason)
	}
	if !bytes.Equal(r1.KID, oldKID) || bytes.Equal(r1.KID, r2.KID) {
		t.Fatalf("kids: old %x new %x", r1.KID, r2.KID)
	}
	rev := RevocationSet{}
	rev.Add(samplePayload().Vaccinations[0].CertificateID)
	res := Verify([]byte(old), &tl, clock, rev)
	if res.OK || res.Code != CodeRevoked || !errors.Is(res.Err, CodeRevoked) ||
		!strings.Contains(res.Reason, "revoked") {
		t.Fatalf("revoked: %+v", res)
	}
	if r := Verify([]byte(newer), &tl, clock, rev); !r.OK {
		t.Fatalf("unrelated certificate reported %s", r.Reason)
	}
}

func TestSaveLoadSealed(t *testing.T) {
	a, err := GenerateAuthority("KZ", t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddSigner(t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	pass := []byte("correct horse battery staple")
	blob, err := a.Save(pass)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(a.Active().key)
	if bytes.Contains(blob, der) || bytes.Contains(blob, []byte("PRIVATE KEY")) {
		t.Fatal("saved authority contains clear-text key")
	}
	if _, err := LoadAuthority(blob, []byte("wrong")); !errors.Is(err, ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	b, err := LoadAuthority(blob, pass)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Signers()) != 2 || !b.CSCA.Equal(a.CSCA) {
		t.Fatalf("loaded %v", b)
	}
	hc1, err := b.Issue(samplePayload(), t0.Add(time.Hour), t0.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if r := Verify([]byte(hc1), a.TrustList(), t0.AddDate(0, 1, 0), nil); !r.OK {
		t.Fatal(r.Reason)
	}
	if s := fmt.Sprintf("%v %+v %#v", a, a.Active(), a); strings.Contains(s, "D:") || strings.Contains(s, "key") {
		t.Fatalf("formatting leaks key material: %s", s)
	}
	// Single-key sealing.
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sealed, err := SealPrivateKey(k, pass)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenPrivateKey(sealed, pass)
	if err != nil || !got.Equal(k) {
		t.Fatalf("OpenPrivateKey: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := OpenPrivateKey(sealed, pass); !errors.Is(err, ErrPassphrase) {
		t.Fatalf("tampered: %v", err)
	}
}

// addSignerWithEKU adds a DSC restricted to the given EKU OIDs.
func addSignerWithEKU(t *testing.T, a *Authority, oids ...asn1.ObjectIdentifier) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: randomSerial(), Subject: pkix.Name{CommonName: "test-only DSC"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.AddDate(2, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		UnknownExtKeyUsage: oids}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.CSCA, &key.PublicKey, a.cscaKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	a.signers = append(a.signers, &Signer{Cert: cert, KID: KID(cert), key: key})
}

// rewrap rebuilds an HC1 string from COSE bytes.
func rewrap(cose []byte) string { return Prefix + Base45Encode(Compress(cose)) }

func coseOf(t *testing.T, hc1 string) []byte {
	z, err := Base45Decode(hc1[4:])
	if err != nil {
		t.Fatal(err)
	}
	c, err := Decompress(z, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifyBadInput(t *testing.T) {
	a, err := GenerateAuthority("KZ", t0)
	if err != nil {
		t.Fatal(err)
	}
	good := issueSample(t, a)
	trust := a.TrustList()
	clock := t0.AddDate(0, 1, 0)
	cose := coseOf(t, good)

	other, _ := GenerateAuthority("KZ", t0)
	unknownKID := issueSample(t, other)

	badSig := bytes.Clone(cose)
	badSig[len(badSig)-5] ^= 0x40

	var raw cbor.RawTag
	if err := cborDec.Unmarshal(cose, &raw); err != nil {
		t.Fatal(err)
	}
	raw.Number = 98 // COSE_Sign, not COSE_Sign1
	wrongTag, _ := cbor.Marshal(raw)

	z, _ := Base45Decode(good[4:])
	corruptZ := bytes.Clone(z)
	corruptZ[len(corruptZ)/2] ^= 0xff
	bomb := Prefix + Base45Encode(Compress(make([]byte, 1<<20)))

	// Payload violating the schema (lower-case fnt), signed by a valid key.
	p := samplePayload()
	p.Name.FamilyT = "satbaev"
	hc, _ := p.MarshalCBOR()
	schemaBad, err := a.issueCBOR(hc, t0, t0.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}

	ku, _ := GenerateAuthority("KZ", t0)
	addSignerWithEKU(t, ku, OIDTestIssuer)
	wrongUsage := issueSample(t, ku)

	// Truncate the Base45 text at a multiple of 3 so Base45 itself is valid.
	trunc := good[:4+((len(good)-4)/2)/3*3]

	tests := []struct {
		name   string
		in     string
		trust  *TrustList
		clock  time.Time
		code   Code
		reason string
	}{
		{"empty", "", trust, clock, CodeEmptyInput, "input is empty"},
		{"too large", "HC1:" + strings.Repeat("0", MaxInputSize), trust, clock, CodeInputTooLarge, "limit 8192"},
		{"wrong prefix", "HC2:" + good[4:], trust, clock, CodePrefix, `unsupported context identifier "HC2:"`},
		{"lower-case prefix", "hc1:" + good[4:], trust, clock, CodePrefix, `"hc1:"`},
		{"non-base45", good[:40] + "a" + good[41:], trust, clock, CodeBase45, "invalid character 'a' at offset 36"},
		{"base45 length", good[:len(good)-len(good[4:])%3-2], trust, clock, CodeBase45, "invalid length"},
		{"truncated", trunc, trust, clock, CodeZlib, "unexpected EOF"},
		{"corrupt zlib", Prefix + Base45Encode(corruptZ), trust, clock, CodeZlib, "zlib"},
		{"not zlib", Prefix + Base45Encode(cose), trust, clock, CodeZlib, "invalid header"},
		{"zip bomb", bomb, trust, clock, CodeZlib, "inflated size exceeds 65536 bytes"},
		{"cose wrong tag", rewrap(wrongTag), trust, clock, CodeCOSE, "unexpected CBOR tag 98"},
		{"cose garbage", rewrap([]byte{0xd2, 0x01}), trust, clock, CodeCOSE, "not a COSE_Sign1 array"},
		{"unknown kid", unknownKID, trust, clock, CodeUnknownKID, "is not in the trust list"},
		{"empty trust list", good, NewTrustList(), clock, CodeUnknownKID, "is not in the trust list"},
		{"bad signature", rewrap(badSig), trust, clock, CodeSignature, "ES256 signature does not verify"},
		{"expired", good, trust, t0.AddDate(1, 0, 1), CodeExpired, "expired at 2022-06-01T09:00:00Z"},
		{"not yet valid", good, trust, t0.Add(-time.Second), CodeNotYetValid, "after the validation time"},
		{"wrong key usage", wrongUsage, ku.TrustList(), clock, CodeKeyUsage, "does not allow vaccination certificates"},
		{"schema violation", schemaBad, trust, clock, CodeSchema, `nam.fnt "satbaev" must match`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Verify([]byte(tc.in), tc.trust, tc.clock, nil)
			if res.OK || res.Code != tc.code || !errors.Is(res.Err, tc.code) {
				t.Fatalf("code = %q (%s), want %q", res.Code, res.Reason, tc.code)
			}
			if !strings.Contains(res.Reason, tc.reason) {
				t.Fatalf("reason = %q, want it to contain %q", res.Reason, tc.reason)
			}
			last := res.Steps[len(res.Steps)-1]
			if last.OK || last.Step != res.Err.Step {
				t.Fatalf("steps = %+v", res.Steps)
			}
		})
	}
	if r := Verify([]byte(good), trust, clock, nil); !r.OK {
		t.Fatalf("control case failed: %s", r.Reason)
	}
}

func TestCOSETagVariants(t *testing.T) {
	a := testAuthority(t)
	cose := coseOf(t, issueSample(t, a))
	var tag cbor.RawTag
	_ = cborDec.Unmarshal(cose, &tag)
	cwt, _ := cbor.Marshal(cbor.Tag{Number: 61, Content: cbor.RawMessage(cose)})
	for name, msg := range map[string][]byte{"tag18": cose, "untagged": tag.Content, "cwt61": cwt} {
		if r := Verify([]byte(rewrap(msg)), a.TrustList(), t0.Add(time.Hour), nil); !r.OK {
			t.Errorf("%s: %s", name, r.Reason)
		}
	}
	bad61, _ := cbor.Marshal(cbor.Tag{Number: 61, Content: cbor.RawMessage(tag.Content)})
	if _, err := ParseSign1(bad61); !errors.Is(err, ErrCOSE) {
		t.Errorf("tag 61 wrapping untagged array accepted: %v", err)
	}
}

func TestIssueRejects(t *testing.T) {
	a := testAuthority(t)
	if _, err := a.Issue(samplePayload(), t0, t0.AddDate(5, 0, 0)); !errors.Is(err, ErrIssue) || !strings.Contains(err.Error(), "outside the DSC validity") {
		t.Errorf("exp beyond DSC: %v", err)
	}
	p := samplePayload()
	p.Vaccinations[0].DoseNumber = 0
	if _, err := a.Issue(p, t0, t0.AddDate(1, 0, 0)); !errors.Is(err, ErrSchema) {
		t.Errorf("dn=0: %v", err)
	}
}
