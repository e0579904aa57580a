package secrets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/secretid"
)

// weakSecret is a password-like secret of 13 characters, the kind a
// dictionary finds: a prefix, a word, a year, two letters.
const weakSecret = "k8s" + "Prod2025Xq"

// dictionary is the attacker's: every "k8s" + word + year + two letters of
// that shape (419,120 guesses, the secret among them).
func dictionary(yield func(string) bool) {
	words := []string{"Prod", "Test", "Dev1", "Main", "Root", "Admn", "Pass", "Kube", "Node", "Pods",
		"Helm", "Core", "Edge", "Live", "Beta", "Demo", "Base", "Auth", "Mesh", "Envs"}
	for _, w := range words {
		for y := 2000; y <= 2030; y++ {
			for a := 'A'; a <= 'Z'; a++ {
				for b := 'a'; b <= 'z'; b++ {
					if !yield("k8s" + w + itoa(y) + string([]rune{a, b})) {
						return
					}
				}
			}
		}
	}
}

func itoa(y int) string {
	return string(rune('0'+y/1000)) + string(rune('0'+y/100%10)) + string(rune('0'+y/10%10)) + string(rune('0'+y%10))
}

// reportOf is the JSON a reader of the report gets for the secret in
// config.env, with fingerprints from ids.
func reportOf(t *testing.T, ids *secretid.Deriver) (findings.Finding, string) {
	t.Helper()
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(rules)
	hits := e.Detect(context.Background(), Blob{Path: "config.env", Content: []byte("db_password = \"" + weakSecret + "\"\n"), StartLine: 1}, nil)
	if len(hits) != 1 || hits[0].Secret != weakSecret {
		t.Fatalf("want the secret found once, got %d findings", len(hits))
	}
	f := toFinding(hits[0], rules.byID[hits[0].RuleID], ids)
	out, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return f, string(out)
}

// The report no longer lets its reader confirm a guess of a weak secret.
// Before, the finding id was a fingerprint of rule, path and an unsalted
// SHA-256 of the secret, beside its first 3 characters, its length and its
// entropy: a dictionary filtered by those and hashed found it in a fraction
// of a second. Now the report shows neither characters, length nor
// entropy; with a key the same attack, and any unkeyed one, confirms
// nothing; without one, each guess costs an Argon2id evaluation
// (BenchmarkGuess measures how much).
func TestFingerprintResistsDictionary(t *testing.T) {
	// The attack as it was: the dictionary holds the secret, and the old
	// id, computed from a guess, confirms it.
	oldID := func(guess string) string {
		sum := sha256.Sum256([]byte(guess))
		return findings.Fingerprint(findings.ScannerSecrets, "generic-api-key", "config.env", hex.EncodeToString(sum[:]))
	}
	inDict := false
	for g := range dictionary {
		if g == weakSecret {
			inDict = true
		}
	}
	if !inDict {
		t.Fatal("the dictionary does not hold the secret: fix the test")
	}

	for _, tt := range []struct {
		name string
		ids  *secretid.Deriver
	}{
		{"keyed", secretid.New([]byte("a CI secret of the repository"))},
		{"unkeyed", secretid.New(nil)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, report := reportOf(t, tt.ids)
			if strings.Contains(report, weakSecret[:3]) || strings.Contains(report, `"length"`) || strings.Contains(report, `"entropy"`) {
				t.Errorf("the report narrows a guess: %s", report)
			}
			if f.Secret.Redacted != "…" {
				t.Errorf("redacted %q, want the ellipsis alone", f.Secret.Redacted)
			}
			unkeyedFP := ""
			if tt.ids.Keyed() {
				unkeyedFP = secretid.New(nil).Of("generic-api-key\x00config.env", weakSecret)
			}
			n := 0
			for g := range dictionary {
				n++
				sum := sha256.Sum256([]byte(g))
				if oldID(g) == f.ID || hex.EncodeToString(sum[:]) == f.Secret.Fingerprint || hex.EncodeToString(sum[:16]) == f.Secret.Fingerprint {
					t.Fatalf("guess %d confirmed the secret from the report", n)
				}
			}
			if unkeyedFP != "" && unkeyedFP == f.Secret.Fingerprint {
				t.Error("a keyed fingerprint equals the unkeyed one: the key is not used")
			}
			t.Logf("%d guesses, none confirmed", n)
		})
	}
}

// Fingerprints are stable: the same secret in the same place gives the
// same id in every run; keys, rules and files tell them apart.
func TestFingerprintStable(t *testing.T) {
	key := []byte("a CI secret of the repository")
	a, _ := reportOf(t, secretid.New(key))
	b, _ := reportOf(t, secretid.New(key))
	c, _ := reportOf(t, secretid.New([]byte("another repository's secret")))
	d, _ := reportOf(t, secretid.New(nil))
	e, _ := reportOf(t, secretid.New(nil))
	if a.ID != b.ID || d.ID != e.ID {
		t.Errorf("ids differ between runs: %s %s, %s %s", a.ID, b.ID, d.ID, e.ID)
	}
	if a.ID == c.ID || a.ID == d.ID {
		t.Error("ids under different keys agree")
	}
	ids := secretid.New(key)
	if ids.Of("generic-api-key\x00a.env", weakSecret) == ids.Of("generic-api-key\x00b.env", weakSecret) {
		t.Error("the fingerprint is not salted by its scope")
	}
}

// BenchmarkGuess is the cost of one guess against a report: the old
// unsalted SHA-256, and the unkeyed Argon2id of today (a keyed
// fingerprint cannot be guessed at all without the key).
func BenchmarkGuess(b *testing.B) {
	b.Run("sha256-before", func(b *testing.B) {
		for b.Loop() {
			sha256.Sum256([]byte(weakSecret))
		}
	})
	b.Run("argon2id-unkeyed", func(b *testing.B) {
		for b.Loop() {
			// A new deriver each time: an attacker has no cache.
			secretid.New(nil).Of("generic-api-key\x00config.env", weakSecret)
		}
	})
	b.Run("hmac-keyed", func(b *testing.B) {
		for b.Loop() {
			secretid.New([]byte("a CI secret of the repository")).Of("generic-api-key\x00config.env", weakSecret)
		}
	})
}
