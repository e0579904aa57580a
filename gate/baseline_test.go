package gate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/secgate/secgate/findings"
)

func TestIdentity(t *testing.T) {
	img := func(id, ref, diffID, path string) findings.Finding {
		return findings.Finding{
			ID: id, Scanner: findings.ScannerContainer, Kind: findings.KindSecret, RuleID: "aws-access-token",
			Location: findings.Location{Path: "image/" + ref + path, Line: 3},
			Image:    &findings.Image{Ref: ref, Path: path, Layer: &findings.Layer{Index: 1, DiffID: diffID}},
			Secret:   &findings.Secret{Redacted: "AKIA…", Length: 20, Confidence: "high", Entropy: 3.68},
		}
	}
	base := img("a", "app:main", "sha256:1", "/app/.env")
	other := func(edit func(*findings.Finding)) findings.Finding {
		f := base
		image, secret := *base.Image, *base.Secret
		f.Image, f.Secret = &image, &secret
		edit(&f)
		return f
	}
	tests := []struct {
		name string
		f    findings.Finding
		same bool
	}{
		{"rebuilt: other ref, layer, id, location", img("b", "app:pr-42", "sha256:2", "/app/.env"), true},
		{"other file", img("c", "app:main", "sha256:1", "/app/.env.prod"), false},
		{"other secret (entropy)", other(func(f *findings.Finding) { f.Secret.Entropy = 3.9 }), false},
		{"other secret (length)", other(func(f *findings.Finding) { f.Secret.Length = 40 }), false},
		{"other rule", other(func(f *findings.Finding) { f.RuleID = "github-pat" }), false},
		{"same id, not container", findings.Finding{ID: "a", Scanner: findings.ScannerSecrets}, false},
	}
	for _, tc := range tests {
		if got := identity(&tc.f) == identity(&base); got != tc.same {
			t.Errorf("%s: same identity = %v, want %v", tc.name, got, tc.same)
		}
	}
	vuln := func(version string) findings.Finding {
		return findings.Finding{ID: "x", Scanner: findings.ScannerContainer, Kind: findings.KindVulnerability, RuleID: "DLA-3022-1",
			Image: &findings.Image{Ref: "r", Path: "/var/lib/dpkg/status"}, Package: &findings.Package{Name: "openssl", Version: version, Ecosystem: "Debian:9"}}
	}
	a, b := vuln("1.1.0l-1~deb9u5"), vuln("1.1.0l-1~deb9u6")
	if identity(&a) == identity(&b) {
		t.Error("another package version has the same identity")
	}
	// Dependency and secret findings: the ID.
	d := findings.Finding{ID: "0123", Scanner: findings.ScannerDeps, RuleID: "GO-2021-0113", Location: findings.Location{Path: "go.mod", Line: 7}}
	if identity(&d) != "0123" {
		t.Errorf("deps identity %q, want the ID", identity(&d))
	}
}

func TestLoadBaselineErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"not-json.json":   "{",
		"not-report.json": `{"schema_version": 7, "findings": []}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadBaseline(p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := LoadBaseline(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file: no error")
	}
}
