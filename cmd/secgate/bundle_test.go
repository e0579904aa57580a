package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
)

// A bundle of the team's policy: signed with the key's private half, or not.
func teamBundle(t *testing.T, signWith *rsa.PrivateKey) string {
	t.Helper()
	src := teamPolicy
	m, err := ast.ParseModuleWithOpts("secgate/team.rego", src, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	b := bundle.Bundle{
		Data:     map[string]any{"team": map[string]any{"blocked": []any{"golang.org/x/text"}}},
		Manifest: bundle.Manifest{Revision: "1"},
		Modules:  []bundle.ModuleFile{{URL: "secgate/team.rego", Path: "secgate/team.rego", Raw: []byte(src), Parsed: m}},
	}
	if signWith != nil {
		der, err := x509.MarshalPKCS8PrivateKey(signWith)
		if err != nil {
			t.Fatal(err)
		}
		priv := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		if err := b.GenerateSignature(bundle.NewSigningConfig(priv, "RS256", ""), "default", false); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := bundle.NewWriter(&buf).DisableFormat(true).Write(b); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "bundle.tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyBundle(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "key.pem")
	write(t, pub, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))
	target := filepath.Join(lockfiles, "go-vulnerable")

	// Signed, verified: the bundle's policy denies the blocked package.
	r := secgate(t, "scan", "--offline-db", offlineDB, "--fail-on", "critical", "--policy-bundle", teamBundle(t, key), "--bundle-verification-key", pub, target)
	if r.code != exitDenied || !strings.Contains(r.stderr, "golang.org/x/text is blocked") {
		t.Fatalf("signed bundle: exit %d: %s", r.code, r.stderr)
	}
	// Unsigned, with a key: refused.
	unsigned := teamBundle(t, nil)
	r = secgate(t, "scan", "--offline-db", offlineDB, "--policy-bundle", unsigned, "--bundle-verification-key", pub, target)
	if r.code != exitError || !strings.Contains(r.stderr, unsigned) || !strings.Contains(r.stderr, "signatures") {
		t.Errorf("unsigned bundle with a key: exit %d: %s", r.code, r.stderr)
	}
	// Signed with another key: refused.
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	if r = secgate(t, "scan", "--offline-db", offlineDB, "--policy-bundle", teamBundle(t, other), "--bundle-verification-key", pub, target); r.code != exitError {
		t.Errorf("bundle signed with another key: exit %d: %s", r.code, r.stderr)
	}
	if r = secgate(t, "scan", "--offline-db", offlineDB, "--bundle-verification-key", pub, target); r.code != exitError {
		t.Errorf("key without bundle: exit %d", r.code)
	}
}
