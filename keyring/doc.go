// Package keyring binds a store to the secret keys its data depends on, so
// that the keys are never lost or silently replaced:
//
//   - the personal-data keys (package pii: the HMAC key that turns an IIN
//     into a person id and the AES key that seals the IIN), kept in a key
//     file outside the database;
//   - the certificate signing authority (package certs: the CSCA and its
//     document signers, sealed in <certs dir>/authority.sealed).
//
// # Fingerprints
//
// The store's meta table records a fingerprint of each (pii.Keys.Fingerprint,
// hcert.Authority.Fingerprint: hashes that reveal nothing about the keys).
// OpenPII and OpenCerts compare the files with it and refuse, naming the file
// and what to do, a key file that is missing, unreadable, readable by group
// or others, or different from the one the store was made with.
//
// New keys are made only where nothing can depend on old ones: personal-data
// keys only for an empty store (no event and no recorded fingerprint), a
// certificate authority only for a store that has recorded none and issued
// no certificate. Each creation is logged in one line. Two nodes racing to
// create keys for one empty PostgreSQL store both record with "insert if
// absent": the loser removes the key file it made and refuses to start.
//
// Stores made before fingerprints existed are adopted: the key file is
// proved against the data (ProvePII opens a sealed IIN and recomputes its
// person id; OpenCerts finds every issued certificate's key id among the
// authority's signers) and only then is its fingerprint recorded.
//
// # Backups
//
// WriteBundle writes one file that restores a store whole: a manifest, the
// keys and the journal. The personal-data key file, the authority and the
// journal's SHA-256 are sealed together under a passphrase (scrypt,
// N=32768, r=8, p=1, then AES-256-GCM; hcert.SealBytes), so a wrong
// passphrase, a damaged bundle or a swapped journal is refused before
// anything is written. The journal itself (a SQLite copy or a pg_dump
// archive) holds no IIN in clear, as in the live store.
package keyring
