// Package secretid derives what a report carries in place of a secret's
// value: a fingerprint that tells two secrets apart and is the same from
// one run to the next (finding ids, baselines, code-scanning alert
// history), from which a reader of the report cannot confirm a guess of
// the secret.
//
// An unsalted hash would not do: a report showing a hash of a weak secret
// (a 13-character password) lets anyone holding it test a dictionary at
// billions of guesses a second. So the fingerprint is either keyed, an
// HMAC-SHA256 under a key the report never holds (SECGATE_FINGERPRINT_KEY,
// a CI secret), or, without a key, deliberately slow: Argon2id with the
// parameters OWASP gives as the minimum for password storage (19 MiB, two
// passes), salted with the finding's scope (rule and path), so that every
// guess costs what a password-hash guess costs and no table computed once
// serves every report.
package secretid

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"sync"

	"golang.org/x/crypto/argon2"
)

// KeyEnv is the environment variable holding the fingerprint key.
const KeyEnv = "SECGATE_FINGERPRINT_KEY"

// Argon2id parameters of the unkeyed fingerprint (OWASP Password Storage
// Cheat Sheet: m=19 MiB, t=2, p=1). Changing them changes every unkeyed
// fingerprint.
const (
	argonTime    = 2
	argonMemory  = 19 << 10 // KiB
	argonThreads = 1
)

// size is the fingerprint's length in bytes (hex-encoded in reports).
const size = 16

// maxParallel bounds the Argon2id computations running at once, and so
// their memory (19 MiB each), whatever the number of cores.
const maxParallel = 8

// version separates this derivation from any later one.
const version = "secgate secret fingerprint v1\x00"

// Deriver computes fingerprints, each (scope, secret) once per run. It is
// safe for concurrent use.
type Deriver struct {
	key   []byte
	slots chan struct{}

	mu    sync.Mutex
	cache map[string]*entry
}

type entry struct {
	once sync.Once
	v    string
}

// New returns a Deriver keyed by key, or the slow unkeyed one when key is
// empty.
func New(key []byte) *Deriver {
	return &Deriver{
		key:   key,
		slots: make(chan struct{}, min(maxParallel, runtime.GOMAXPROCS(0))),
		cache: map[string]*entry{},
	}
}

// Keyed reports whether fingerprints are keyed.
func (d *Deriver) Keyed() bool { return len(d.key) > 0 }

// Of returns the fingerprint of secret found in scope (the rule and the
// file): 32 hex digits.
func (d *Deriver) Of(scope, secret string) string {
	k := scope + "\x00" + secret
	d.mu.Lock()
	e := d.cache[k]
	if e == nil {
		e = &entry{}
		d.cache[k] = e
	}
	d.mu.Unlock()
	e.once.Do(func() { e.v = d.derive(scope, secret) })
	return e.v
}

func (d *Deriver) derive(scope, secret string) string {
	if d.Keyed() {
		m := hmac.New(sha256.New, d.key)
		m.Write([]byte(version))
		m.Write([]byte(scope))
		m.Write([]byte{0})
		m.Write([]byte(secret))
		return hex.EncodeToString(m.Sum(nil)[:size])
	}
	d.slots <- struct{}{}
	defer func() { <-d.slots }()
	salt := sha256.Sum256([]byte(version + scope))
	return hex.EncodeToString(argon2.IDKey([]byte(secret), salt[:], argonTime, argonMemory, argonThreads, size))
}
