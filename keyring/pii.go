package keyring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"vaxtrace"
	"vaxtrace/pii"
)

// Meta keys under which a store records its key fingerprints.
const (
	MetaPII       = "pii_keys_fingerprint"
	MetaAuthority = "cert_authority_fingerprint"
)

// Store is what keyring needs from a journal: whether it holds events and
// its meta table. sqlite.DB and postgres.DB implement it.
type Store interface {
	Last(ctx context.Context) (uint64, error)
	Meta(ctx context.Context, k string) (string, bool, error)
	PutMetaIfAbsent(ctx context.Context, k, v string) (string, error)
}

// AsStore returns j as a Store, or an error naming what it lacks.
func AsStore(j vaxtrace.Journal) (Store, error) {
	s, ok := j.(Store)
	if !ok {
		return nil, fmt.Errorf("keyring: the %T journal has no meta table", j)
	}
	return s, nil
}

// PII is a store's personal-data keys as opened by OpenPII.
type PII struct {
	*pii.Keys
	Path string
	// Recorded is true when the store holds the keys' fingerprint; false
	// for a store made before fingerprints existed, until Prove records it.
	Recorded bool
	// Created is true when OpenPII made the key file just now.
	Created bool
}

// OpenPII opens the personal-data keys of a store from the key file at path:
//
//   - the file exists: it must not be accessible by group or others, and
//     its fingerprint must be the one the store recorded; an empty store
//     that recorded none records it now;
//   - the file is missing: refused if the store holds events or a recorded
//     fingerprint (the data needs the lost keys); for an empty store a new
//     key file is made (mode 0600) and its fingerprint recorded, and one
//     line is logged.
//
// For a store with events but no recorded fingerprint (made before
// fingerprints existed), call Prove with the rebuilt state before trusting
// the keys.
func OpenPII(ctx context.Context, st Store, path string, log *slog.Logger) (*PII, error) {
	if log == nil {
		log = slog.Default()
	}
	if path == "" {
		return nil, errors.New("keyring: no personal-data key file given")
	}
	want, recorded, err := st.Meta(ctx, MetaPII)
	if err != nil {
		return nil, err
	}
	last, err := st.Last(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := pii.Load(path)
	switch {
	case err == nil:
		fp := keys.Fingerprint()
		if recorded && fp != want {
			return nil, fmt.Errorf("personal-data key file %s does not belong to this store: its fingerprint is %s, the store was made with %s. "+
				"Point --keys (VAXTRACE_KEYS) at the key file made with this store, or restore it from the store's backup (vaxtrace restore); "+
				"never make new keys for a store that has data: people could no longer be found by IIN", path, fp, want)
		}
		out := &PII{Keys: keys, Path: path, Recorded: recorded}
		if !recorded && last == 0 {
			if err := record(ctx, st, MetaPII, fp, "personal-data key file "+path); err != nil {
				return nil, err
			}
			out.Recorded = true
		}
		return out, nil
	case errors.Is(err, pii.ErrNoKeyFile):
		if recorded || last > 0 {
			what := fmt.Sprintf("holds %d events", last)
			if recorded {
				what = "was made with the keys " + want
			}
			return nil, fmt.Errorf("personal-data key file %s is missing, and this store %s. "+
				"Restore the key file from the store's backup (vaxtrace restore brings back journal and keys together) or point --keys (VAXTRACE_KEYS) at it; "+
				"vaxtrace never makes new keys for a store that has data (IIN look-ups would fail and people would be registered twice)", path, what)
		}
		keys, _, err := pii.Create(path)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		fp := keys.Fingerprint()
		if err := record(ctx, st, MetaPII, fp, "personal-data key file "+path); err != nil {
			os.Remove(path) // ours, made just now, and useless
			return nil, err
		}
		log.Info("new personal-data keys made for an empty store: back up this file with the store (vaxtrace backup)", "file", path, "fingerprint", fp)
		return &PII{Keys: keys, Path: path, Recorded: true, Created: true}, nil
	default:
		return nil, err
	}
}

// record stores fp under k unless a value is there, and fails if another
// value won (another node made other keys for the same store first).
func record(ctx context.Context, st Store, k, fp, what string) error {
	got, err := st.PutMetaIfAbsent(ctx, k, fp)
	if err != nil {
		return fmt.Errorf("keyring: record the fingerprint of %s: %w", what, err)
	}
	if got != fp {
		return fmt.Errorf("%s (fingerprint %s) is not the one this store recorded (%s): another node made keys for it first; use that node's key file", what, fp, got)
	}
	return nil
}

// ProvePII proves keys against the data: it opens the sealed IIN of a
// person in the store and recomputes the person's id from it. proved is
// false when the store holds no sealed IIN (nothing to prove against). s
// must be read under engine.Read.
func ProvePII(s *vaxtrace.State, keys *pii.Keys) (proved bool, err error) {
	var target *vaxtrace.PersonState
	s.EachPerson(func(p *vaxtrace.PersonState) bool {
		if s.PersonText(p).IINSealed() != "" {
			target = p
			return false
		}
		return true
	})
	if target == nil {
		return false, nil
	}
	iin, err := keys.Open(s.PersonText(target).IINSealed())
	if err != nil {
		return false, fmt.Errorf("the personal-data keys cannot open the IINs sealed in this store (person %s): wrong key file", target.ID)
	}
	if keys.ID(iin) != target.ID {
		return false, fmt.Errorf("the personal-data keys open this store's sealed IINs but give other person ids (person %s): wrong key file", target.ID)
	}
	return true, nil
}

// Prove proves the keys against the rebuilt state (see ProvePII) and, for a
// store that had not recorded their fingerprint, records it. read runs a
// function under the engine's read lock.
func (k *PII) Prove(ctx context.Context, st Store, read func(func(*vaxtrace.State)), log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	var proved bool
	var err error
	read(func(s *vaxtrace.State) { proved, err = ProvePII(s, k.Keys) })
	if err != nil {
		return fmt.Errorf("%s: %w", k.Path, err)
	}
	if k.Recorded {
		return nil
	}
	fp := k.Fingerprint()
	if err := record(ctx, st, MetaPII, fp, "personal-data key file "+k.Path); err != nil {
		if vaxtrace.ErrorCode(err) == vaxtrace.EUNAVAILABLE {
			return nil // a read-only standby: the primary records it
		}
		return err
	}
	k.Recorded = true
	log.Info("recorded the fingerprint of the personal-data keys of a store made before fingerprints existed",
		"file", k.Path, "fingerprint", fp, "proved_against_sealed_iin", proved)
	return nil
}
