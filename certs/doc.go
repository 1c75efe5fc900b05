// Package certs issues, publishes and verifies vaxtrace's COVID-19
// vaccination certificates in the EU Digital COVID Certificate format
// (HCERT, package hcert), from the registry's own records.
//
// # Keys
//
// A Service holds the country's signing Authority (a CSCA and its document
// signing certificates, DSCs), saved sealed with a passphrase (scrypt +
// AES-256-GCM) in <dir>/authority.sealed; the CLI uses <db>.certs beside a
// SQLite store. The passphrase is VAXTRACE_CERT_PASSPHRASE. When that
// variable is unset, PassphraseFromEnv generates a random passphrase and
// stores it in <dir>/passphrase (mode 0600) beside the authority: convenient
// for demos and development, but then the sealed keys are only as safe as
// that directory, and the CLI logs a warning. Production sets the variable
// (and removes any passphrase file). An existing authority is never paired
// with a new random passphrase: that is an error.
//
// Rotate adds a new DSC (valid DSCValidity, 2 years), makes it the active
// signer and saves the authority; older DSCs stay in the trust list so that
// certificates they signed keep verifying. Certificates are valid 365 days,
// capped at the active DSC's expiry: rotate at least yearly (NeedsRotation).
// A running server reads the authority once; after `vaxtrace cert rotate` in
// another process, restart it (or call Reload).
//
// # What a certificate says
//
// Issue certifies the person's latest valid dose (schema 1.3.0):
//
//   - nam: fn/gn as registered (Cyrillic or Latin), fnt/gnt their ICAO 9303
//     transliteration (hcert.Transliterate); dob YYYY-MM-DD (empty for
//     births before 1900, which the schema cannot express).
//   - v[0].tg 840539006; vp the product's codes.dcc_vp, else J07BX03.
//   - v[0].mp the product's EU code (codes.dcc_mp). Products without one,
//     QazVac in 2021, use their WHO ICD-11 code prefixed with its code
//     system: mp = "ICD11:XM97N6". The prefix keeps the value from being
//     mistaken for an EU value-set code, and says where to look it up; the
//     schema types mp as a free string, so every verifier accepts and
//     displays it (only the optional eHN value-set check flags it, as it
//     flags every non-EU vaccine). A product with neither code cannot be
//     certified (EINVALID): complete the catalog.
//   - v[0].ma codes.dcc_ma, else the product's holder, else the lot's
//     manufacturer.
//   - dn/sd: primary series n/N, N being the series of the person's first
//     dose. Boosters follow the EU rule: dn counts every dose so far and
//     sd = dn (a booster after 2 doses is 3/3, the next 4/4; after a single
//     dose series 2/2).
//   - dt the dose's date, co "KZ", is "Ministry of Healthcare of the
//     Republic of Kazakhstan", ci a random UVCI URN:UVCI:01:KZ:<26 base32>#C
//     (Luhn mod 38 check character). It is random, not derived from the
//     person, so identifiers of one person cannot be linked.
//
// The IIN never appears: the person record only holds it sealed, and no
// field of the payload is derived from it. A dose with an unresolved
// schedule anomaly, a merged person record, or a non-COVID-19 product is not
// certified (ECONFLICT/EINVALID with the reason).
//
// Issue is idempotent on the dose it certifies: when that dose already has
// a certificate that is neither revoked nor expired, it is returned
// (Issued.Existing, nothing journaled; re-signed with its own key, same
// UVCI and claims, when this process no longer holds its HC1). Otherwise a
// new certificate is issued; earlier certificates that are not revoked stay
// valid (an older one certifying an earlier dose remains a true statement).
// Issue signs, then records CertificateIssued (key "cert:"+uvci) through the
// engine, and only returns a recorded certificate. The State refuses a
// second live certificate for a dose, so concurrent issuances yield one.
// The scope rule is the engine's: admin, or a region or point whose scope
// holds the dose's place.
//
// # Revocation
//
// The State revokes a person's certificates when a dose of theirs is
// corrected or voided, or the person is updated or merged; admins revoke
// explicitly (CertificateRevoked). If a correction races with an issuance
// (between the read and the write), Issue notices that the new certificate
// no longer matches the record, revokes it (actor "certs:<name>") and
// returns ECONFLICT: retry. The published revocation list is a JSON array
// of hex SHA-256 hashes of revoked UVCIs (hcert.UVCIHash, the EU "UCI" hash).
//
// # Retention of the HC1
//
// The registry records a certificate's identifier, not its signed text. The
// HC1 and its QR code are returned at issuance; the Service also keeps the
// RecentHC1 most recent ones in memory so that the QR and printable page
// can be fetched again shortly after (GET .../qr.png and .../print). After
// a restart, on another node, or once evicted, those return 404 with the
// advice to issue again, which is always possible and cheap (it returns the
// same certificate, signed again).
//
// # Verification
//
// Verify runs hcert verification against the service's trust list and the
// state's revocations. The HTTP endpoint answers 200 for every
// verification outcome, garbage included, with ok=false, the hcert code
// (e.g. "base45", "bad_signature", "revoked"), the failing step and the
// precise reason; 4xx only for request problems (empty body, too large,
// bad clock). Offline verification needs only the published trust list
// (and optionally the revocation list): `vaxtrace cert verify --trust
// trustlist.json [--revocations revocations.json]` opens no database.
package certs
