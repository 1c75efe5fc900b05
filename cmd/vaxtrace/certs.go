package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"vaxtrace"
	"vaxtrace/certs"
	"vaxtrace/hcert"
)

func init() {
	register("cert", "vaccination certificates (EU DCC): issue, verify, trustlist, revocations, rotate", runCert)
}

const certUsage = `usage: vaxtrace cert <subcommand> [flags]

subcommands:
  issue        sign a certificate for a person's latest dose (--person ID or --iin IIN); prints the HC1, --png writes the QR
  verify       verify a certificate offline: --trust trustlist.json [--revocations revocations.json]
               and one of --hc1 STRING, --file PATH (HC1 text) or --png PATH; opens no database
  trustlist    print the published trust list (JSON)
  revocations  print the published revocation list (JSON array of SHA-256 hashes of revoked UVCIs)
  rotate       add a new document signing key (older keys stay trusted)

The signing keys live in <db>.certs/ (--certs or VAXTRACE_CERTS; for PostgreSQL
the key file's name with .certs for .keys), sealed with the passphrase in
$VAXTRACE_CERT_PASSPHRASE. Without it a random passphrase is generated into
<certs>/passphrase (mode 0600): fine for demos, not for production. The store
records the authority's fingerprint: another or a missing authority is refused.
`

func runCert(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(certUsage)
		if len(args) == 0 {
			return errors.New("a subcommand is required")
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "issue":
		return certIssue(ctx, rest)
	case "verify":
		return certVerify(os.Stdout, rest)
	case "trustlist":
		return certTrustList(ctx, rest)
	case "revocations":
		return certRevocations(ctx, rest)
	case "rotate":
		return certRotate(ctx, rest)
	}
	fmt.Fprint(os.Stderr, certUsage)
	return fmt.Errorf("unknown subcommand %q", sub)
}

// certFlags are the store flags plus the certificate directory.
type certFlags struct {
	storeFlags
}

func (c *certFlags) add(fs *flag.FlagSet) {
	c.storeFlags.add(fs)
	c.storeFlags.addCerts(fs)
}

// cliActor is who the CLI acts as (the operator at the server's console).
func cliActor() vaxtrace.Principal {
	name := os.Getenv("USER")
	if name == "" {
		name = "operator"
	}
	return vaxtrace.Principal{Name: "cli:" + name, Role: vaxtrace.RoleAdmin}
}

func certIssue(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cert issue", flag.ContinueOnError)
	var cf certFlags
	cf.add(fs)
	person := fs.String("person", "", "person id (32 hex digits)")
	iin := fs.String("iin", "", "the person's IIN (looked up by its keyed hash; never printed)")
	png := fs.String("png", "", "write the QR code PNG to this file")
	asJSON := fs.Bool("json", false, "print the issued certificate as JSON instead of the HC1 alone")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*person == "") == (*iin == "") {
		return vaxtrace.FieldError("person", "give exactly one of --person or --iin")
	}
	eng, keys, err := cf.open(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	svc, err := cf.openCerts(ctx, eng)
	if err != nil {
		return err
	}
	var id vaxtrace.PersonID
	if *iin != "" {
		if err := vaxtrace.ValidateIIN(*iin); err != nil {
			return err
		}
		id = keys.ID(*iin)
	} else if id, err = vaxtrace.ParsePersonID(*person); err != nil {
		return err
	}
	is, err := svc.Issue(ctx, eng, cliActor(), id)
	if err != nil {
		return err
	}
	if *png != "" {
		if err := os.WriteFile(*png, is.PNG, 0o600); err != nil {
			return err
		}
	}
	if *asJSON {
		is.PNG = nil
		b, _ := json.MarshalIndent(is, "", "  ")
		fmt.Println(string(b))
	} else {
		fmt.Println(is.HC1)
	}
	v := is.Payload.Vaccinations[0]
	verb := "issued"
	if is.Existing {
		verb = "already issued (the dose's live certificate, nothing recorded)"
	}
	fmt.Fprintf(os.Stderr, "%s %s: dose %d/%d of %s on %s, valid until %s\n", verb, is.UVCI, v.DoseNumber, v.SeriesDoses, is.Product, v.Date, is.ExpiresAt.Format(time.DateOnly))
	return nil
}

// certVerify verifies offline: it needs only the published trust list (and
// optionally the revocation list), never the database or the keys.
func certVerify(out io.Writer, args []string) error {
	fs := flag.NewFlagSet("cert verify", flag.ContinueOnError)
	hc1 := fs.String("hc1", "", "the HC1 string")
	file := fs.String("file", "", "a file holding the HC1 text")
	pngPath := fs.String("png", "", "a QR code PNG")
	trustPath := fs.String("trust", "trustlist.json", "the published trust list (GET /api/v1/trustlist or `vaxtrace cert trustlist`)")
	revPath := fs.String("revocations", "", "the published revocation list (GET /api/v1/revocations or `vaxtrace cert revocations`); without it revocation is not checked")
	clockS := fs.String("clock", "", "verify as of this RFC 3339 time (default now)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	n := 0
	var input []byte
	for _, s := range []string{*hc1, *file, *pngPath} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return vaxtrace.FieldError("hc1", "give exactly one of --hc1, --file or --png")
	}
	var err error
	switch {
	case *hc1 != "":
		input = []byte(*hc1)
	case *file != "":
		input, err = readLimited(*file, hcert.MaxInputSize*2)
	default:
		input, err = readLimited(*pngPath, hcert.MaxPNGSize)
	}
	if err != nil {
		return err
	}
	clock := time.Now()
	if *clockS != "" {
		if clock, err = time.Parse(time.RFC3339, *clockS); err != nil {
			return vaxtrace.FieldError("clock", "must be an RFC 3339 time such as 2021-06-01T10:00:00+06:00")
		}
	}
	tb, err := os.ReadFile(*trustPath)
	if err != nil {
		return fmt.Errorf("trust list: %w", err)
	}
	trust, err := certs.ParseTrustList(tb)
	if err != nil {
		return err
	}
	var rev hcert.Revocations
	if *revPath != "" {
		rb, err := os.ReadFile(*revPath)
		if err != nil {
			return fmt.Errorf("revocation list: %w", err)
		}
		set, err := certs.ParseRevocationList(rb)
		if err != nil {
			return err
		}
		rev = set
	}
	res := hcert.Verify(input, trust, clock, rev)
	v := certs.NewVerification(res, clock)
	if *asJSON {
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Fprintln(out, string(b))
	} else {
		for _, s := range v.Steps {
			mark := "ok  "
			switch {
			case s.Skipped:
				mark = "skip"
			case !s.OK:
				mark = "FAIL"
			}
			fmt.Fprintf(out, "%s %-10s %s\n", mark, s.Step, s.Detail)
		}
		if v.Certificate != nil && len(v.Certificate.Vaccinations) > 0 {
			c, x := v.Certificate, v.Certificate.Vaccinations[0]
			fmt.Fprintf(out, "\nholder      %s %s (%s %s), born %s\n", c.Name.Family, c.Name.Given, c.Name.FamilyT, c.Name.GivenT, c.DateOfBirth)
			fmt.Fprintf(out, "vaccination %s dose %d/%d on %s (%s, %s)\n", x.Product, x.DoseNumber, x.SeriesDoses, x.Date, x.Country, x.Issuer)
			fmt.Fprintf(out, "certificate %s\n", x.CertificateID)
		}
		if v.OK {
			fmt.Fprintf(out, "\nVALID at %s (expires %s)\n", clock.UTC().Format(time.RFC3339), v.ExpiresAt.Format(time.RFC3339))
		} else {
			fmt.Fprintf(out, "\nINVALID: %s: %s\n", v.Code, v.Reason)
		}
	}
	if !v.OK {
		return fmt.Errorf("certificate is not valid (%s)", v.Code)
	}
	return nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, vaxtrace.Errorf(vaxtrace.ETOOLARGE, "%s exceeds %d bytes", path, limit)
	}
	return []byte(strings.TrimSpace(string(b))), nil
}

func certTrustList(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cert trustlist", flag.ContinueOnError)
	var cf certFlags
	cf.add(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	svc, err := cf.loadCerts(ctx)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(svc.TrustListJSON())
	return err
}

func certRevocations(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cert revocations", flag.ContinueOnError)
	var cf certFlags
	cf.add(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	eng, _, err := cf.open(ctx, 0)
	if err != nil {
		return err
	}
	defer closeAll(eng)
	var b []byte
	eng.Read(func(st *vaxtrace.State) { b = certs.RevocationListJSON(st) })
	_, err = os.Stdout.Write(b)
	return err
}

func certRotate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cert rotate", flag.ContinueOnError)
	var cf certFlags
	cf.add(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	svc, err := cf.loadCerts(ctx)
	if err != nil {
		return err
	}
	sg, err := svc.Rotate(time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("active signer: %s\ntrust list: %d signing certificates; publish it again (vaxtrace cert trustlist) and restart running servers\n", sg, svc.TrustList().Len())
	return nil
}
