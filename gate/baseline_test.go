package gate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/scanners"
	"github.com/secgate/secgate/scanners/secrets"
)

// Each scanner says what makes its findings the same across runs: the ID
// for dependencies and secrets, the content for container findings (whose
// IDs change with every build); the ID for a scanner secgate does not know.
func TestIdentities(t *testing.T) {
	identity := identities(Options{}.types(scanners.Env{}, secrets.NewRuleSource("", "")))
	d := findings.Finding{ID: "0123", Scanner: findings.ScannerDeps, RuleID: "GO-2021-0113", Location: findings.Location{Path: "go.mod", Line: 7}}
	if identity(&d) != "0123" {
		t.Errorf("deps identity %q, want the ID", identity(&d))
	}
	u := findings.Finding{ID: "0456", Scanner: "licenses"}
	if identity(&u) != "0456" {
		t.Errorf("unknown scanner's identity %q, want the ID", identity(&u))
	}
	c := findings.Finding{ID: "0789", Scanner: findings.ScannerContainer, Kind: findings.KindVulnerability, RuleID: "DLA-3022-1",
		Image: &findings.Image{Ref: "app:main", Path: "/var/lib/dpkg/status"}, Package: &findings.Package{Name: "dpkg", Version: "1.18.25", Ecosystem: "Debian:9"}}
	rebuilt := c
	rebuilt.ID, rebuilt.Image = "0abc", &findings.Image{Ref: "app:pr-42", Path: "/var/lib/dpkg/status"}
	if identity(&c) == c.ID || identity(&c) != identity(&rebuilt) {
		t.Errorf("container identities %q %q: want the content's, the same for a rebuilt image", identity(&c), identity(&rebuilt))
	}
}

func TestLoadBaselineErrors(t *testing.T) {
	identity := func(f *findings.Finding) string { return f.ID }
	dir := t.TempDir()
	for name, content := range map[string]string{
		"not-json.json":   "{",
		"not-report.json": `{"schema_version": 7, "findings": []}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadBaseline("", p, identity); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := LoadBaseline("", filepath.Join(dir, "missing.json"), identity); err == nil {
		t.Error("missing file: no error")
	}
}
