// Package hcert issues and verifies EU Digital COVID Certificates (HCERT,
// "DCC") as used by vaxtrace for Kazakhstan's 2021 vaccination campaign.
//
// The wire format is the chain defined by the eHealth Network HCERT
// specification:
//
//	JSON payload (DCC schema 1.3.x)
//	  -> CBOR, wrapped in CWT claims {1 iss, 4 exp, 6 iat, -260 {1 hcert}}
//	  -> COSE_Sign1 (ES256 for issuing; ES256 and PS256 accepted on verify)
//	  -> zlib (inflation capped at MaxInflatedSize)
//	  -> Base45 (RFC 9285)
//	  -> "HC1:" prefix
//	  -> QR code (error correction level Q)
//
// Issuing is done by an Authority, which holds a country signing CA (CSCA)
// and one or more document signing certificates (DSC). Adding a signer
// rotates the active key while keeping older DSCs in the published
// TrustList, so previously issued certificates keep verifying. Private keys
// are only ever persisted sealed with a passphrase (scrypt + AES-256-GCM).
//
// Verify runs every verification step in order and records each one in a
// Result; the first failing step carries a Code and a precise reason. It
// never panics on hostile input: input size, Base45 length and inflated
// size are all bounded.
//
// The package is proven against the official eu-digital-green-certificates
// dgc-testdata vectors (see vectors_test.go).
package hcert
