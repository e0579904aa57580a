package osv

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/purl"
	"github.com/ossf/osv-schema/bindings/go/osvschema"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/osvtest"
)

var testDB = filepath.Join("..", "..", "testdata", "osvdb")

func pkg(purlType, name, version string) *extractor.Package {
	return &extractor.Package{
		Name: name, Version: version, PURLType: purlType,
		Location: extractor.LocationFromPathAndLine("lock", 3),
	}
}

func writeZip(t *testing.T, dir, eco string, entries map[string]string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, eco), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, eco, "all.zip"), zipOf(t, entries), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A database that cannot be read fully is an error naming the file (and the
// entry), never a partial match.
func TestOfflineBrokenDB(t *testing.T) {
	lodash := []*extractor.Package{pkg(purl.TypeNPM, "lodash", "4.17.15")}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string
	}{
		{"not a zip", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "npm"), 0o755)
			os.WriteFile(filepath.Join(dir, "npm", "all.zip"), []byte("not a zip"), 0o644)
		}, []string{"all.zip", "zip"}},
		{"entry not JSON", func(t *testing.T, dir string) {
			writeZip(t, dir, "npm", map[string]string{"GHSA-x.json": "{ broken"})
		}, []string{"all.zip", "GHSA-x.json"}},
		{"entry without id", func(t *testing.T, dir string) {
			writeZip(t, dir, "npm", map[string]string{"a.json": `{"affected": []}`})
		}, []string{"a.json", "no id"}},
		{"record not OSV", func(t *testing.T, dir string) {
			writeZip(t, dir, "npm", map[string]string{"b.json": `{"id": "X-1", "affected": [{"package": {"ecosystem": "npm", "name": "lodash"}, "ranges": "nope"}]}`})
		}, []string{"b.json"}},
		{"directory instead of zip", func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "npm", "all.zip"), 0o755)
		}, []string{"npm", filepath.Join("npm", "all.zip")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			_, err := NewOffline(dir).Match(context.Background(), lodash)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrDB) && !errors.Is(err, ErrMissingDB) {
				t.Errorf("error %v is neither ErrDB nor ErrMissingDB", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func TestOfflineUnparsableVersion(t *testing.T) {
	// Most ecosystems' version schemes accept anything; CRAN's does not.
	dir := t.TempDir()
	writeZip(t, dir, "CRAN", nil)
	_, err := NewOffline(dir).Match(context.Background(), []*extractor.Package{pkg(purl.TypeCran, "ggplot2", "not a version!")})
	if !errors.Is(err, ErrDB) || !strings.Contains(err.Error(), "ggplot2@not a version!") {
		t.Fatalf("err = %v, want an error naming the package", err)
	}
}

func TestOfflineSkipsUnmatchable(t *testing.T) {
	pkgs := []*extractor.Package{pkg(purl.TypeNPM, "lodash", ""), {Name: "mystery", Version: "1.0"}}
	got, err := NewOffline(t.TempDir()).Match(context.Background(), pkgs)
	if err != nil {
		t.Fatalf("packages without version or ecosystem need no DB: %v", err)
	}
	if len(got) != 2 || got[0] != nil || got[1] != nil {
		t.Errorf("got %v, want no advisories", got)
	}
}

func TestOnlineAPIFailure(t *testing.T) {
	api := osvtest.New(t)
	api.Status = http.StatusServiceUnavailable
	m := NewOnline(OnlineOptions{BaseURL: api.URL, Attempts: 1})
	_, err := m.Match(context.Background(), []*extractor.Package{pkg(purl.TypeNPM, "lodash", "4.17.15")})
	if !errors.Is(err, ErrDB) || !strings.Contains(err.Error(), api.URL) {
		t.Fatalf("err = %v, want ErrDB naming the API", err)
	}
}

func TestOnlineUnknownAdvisory(t *testing.T) {
	api := osvtest.New(t)
	api.Affected[osvtest.Query{Ecosystem: "npm", Name: "lodash", Version: "4.17.15"}] = []string{"GHSA-missing"}
	m := NewOnline(OnlineOptions{BaseURL: api.URL, Attempts: 1})
	_, err := m.Match(context.Background(), []*extractor.Package{pkg(purl.TypeNPM, "lodash", "4.17.15")})
	if !errors.Is(err, ErrDB) || !strings.Contains(err.Error(), "GHSA-missing") {
		t.Fatalf("err = %v, want ErrDB naming the advisory", err)
	}
}

func sev(typ osvschema.Severity_Type, score string) *osvschema.Severity {
	return &osvschema.Severity{Type: typ, Score: score}
}

// Grouping, representative, severity and fixes, on records shaped like the
// real ones in testdata/osv.
func TestFindingsGrouping(t *testing.T) {
	affected := func(fixed ...string) []*osvschema.Affected {
		var events []*osvschema.Event
		events = append(events, &osvschema.Event{Introduced: "0"})
		for _, f := range fixed {
			events = append(events, &osvschema.Event{Fixed: f})
		}
		return []*osvschema.Affected{{
			Package: &osvschema.Package{Ecosystem: "Go", Name: "golang.org/x/text"},
			Ranges:  []*osvschema.Range{{Type: osvschema.Range_SEMVER, Events: events}},
		}}
	}
	goRec := &osvschema.Vulnerability{Id: "GO-2021-0113", Aliases: []string{"CVE-2021-38561", "GHSA-ppp9-7jff-5vj2"}, Summary: "Out-of-bounds read", Affected: affected("0.3.7")}
	ghsa := &osvschema.Vulnerability{Id: "GHSA-ppp9-7jff-5vj2", Aliases: []string{"CVE-2021-38561"}, Affected: affected("0.3.7"),
		Severity: []*osvschema.Severity{sev(osvschema.Severity_CVSS_V3, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H")}}
	other := &osvschema.Vulnerability{Id: "GHSA-other", Affected: affected("0.3.1", "0.3.8")}
	p := pkg(purl.TypeGolang, "golang.org/x/text", "0.3.5")

	loc := findings.Location{Path: "lock", Line: 3}
	got := Findings(findings.ScannerDeps, p, loc, []*osvschema.Vulnerability{ghsa, other, goRec})
	if len(got) != 2 {
		t.Fatalf("%d findings, want 2 groups", len(got))
	}
	byRule := map[string]findings.Finding{}
	for _, f := range got {
		byRule[f.RuleID] = f
	}
	g, ok := byRule["GO-2021-0113"]
	if !ok {
		t.Fatalf("no finding with GO-2021-0113 as representative: %v", got)
	}
	if strings.Join(g.Vulnerability.Aliases, ",") != "CVE-2021-38561,GHSA-ppp9-7jff-5vj2" {
		t.Errorf("aliases %v", g.Vulnerability.Aliases)
	}
	if g.Severity != findings.SeverityHigh || g.CVSS == nil || g.CVSS.Score != 7.5 {
		t.Errorf("severity %s %+v, want high 7.5 from the alias", g.Severity, g.CVSS)
	}
	if g.Title != "Out-of-bounds read" {
		t.Errorf("title %q", g.Title)
	}
	o := byRule["GHSA-other"]
	if strings.Join(o.Vulnerability.FixedVersions, ",") != "0.3.8" {
		t.Errorf("fixed %v, want only the fix above 0.3.5", o.Vulnerability.FixedVersions)
	}
	if o.Severity != findings.SeverityUnknown || o.CVSS != nil {
		t.Errorf("severity %s %+v, want unknown", o.Severity, o.CVSS)
	}
	if o.ID == g.ID || len(g.ID) != 32 {
		t.Errorf("ids %q %q", o.ID, g.ID)
	}
	if g.Location != loc {
		t.Errorf("location %+v, want %+v", g.Location, loc)
	}
	// The ID does not depend on the line.
	if again := Findings(findings.ScannerDeps, p, findings.Location{Path: "lock", Line: 99}, []*osvschema.Vulnerability{goRec, ghsa}); again[0].ID != g.ID {
		t.Errorf("moving the line changed the id")
	}
}

func TestRecordSeverity(t *testing.T) {
	label := func(s string) *osvschema.Vulnerability {
		v := &osvschema.Vulnerability{}
		v.DatabaseSpecific, _ = structFromMap(map[string]any{"severity": s})
		return v
	}
	tests := []struct {
		name  string
		v     *osvschema.Vulnerability
		want  findings.Severity
		score float64
	}{
		{"cvss v3.1", &osvschema.Vulnerability{Severity: []*osvschema.Severity{sev(osvschema.Severity_CVSS_V3, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")}}, findings.SeverityCritical, 9.8},
		{"cvss v3.0", &osvschema.Vulnerability{Severity: []*osvschema.Severity{sev(osvschema.Severity_CVSS_V3, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H")}}, findings.SeverityHigh, 7.5},
		{"cvss v4", &osvschema.Vulnerability{Severity: []*osvschema.Severity{sev(osvschema.Severity_CVSS_V4, "CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:A/VC:N/VI:N/VA:H/SC:N/SI:N/SA:H")}}, findings.SeverityMedium, 6.8},
		{"v2 ignored beside v3", &osvschema.Vulnerability{Severity: []*osvschema.Severity{sev(osvschema.Severity_CVSS_V2, "AV:N/AC:L/Au:N/C:C/I:C/A:C"), sev(osvschema.Severity_CVSS_V3, "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N")}}, findings.SeverityLow, 3.3},
		{"v2 alone", &osvschema.Vulnerability{Severity: []*osvschema.Severity{sev(osvschema.Severity_CVSS_V2, "AV:N/AC:L/Au:N/C:C/I:C/A:C")}}, findings.SeverityCritical, 10},
		{"github label", label("MODERATE"), findings.SeverityMedium, 0},
		{"bad vector", &osvschema.Vulnerability{Severity: []*osvschema.Severity{sev(osvschema.Severity_CVSS_V3, "CVSS:3.1/nonsense")}}, findings.SeverityUnknown, 0},
		{"nothing", &osvschema.Vulnerability{}, findings.SeverityUnknown, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cvss := recordSeverity(tt.v)
			if got != tt.want {
				t.Errorf("severity %s, want %s", got, tt.want)
			}
			if (cvss == nil) != (tt.score == 0) || (cvss != nil && cvss.Score != tt.score) {
				t.Errorf("cvss %+v, want score %v", cvss, tt.score)
			}
		})
	}
}

func structFromMap(m map[string]any) (*structpb.Struct, error) { return structpb.NewStruct(m) }

// TestNormalizeSeparators: the byte loop gives what the regular expression
// gives.
func TestNormalizeSeparators(t *testing.T) {
	for _, s := range []string{"", "a", "-", "--", "a-b", "a--b", "a_.-b", "_a_", "Zope.Interface", "x..y__z", "pkg-1", "\xff-_\xfe", "a-", ".a", "é._é"} {
		if got, want := normalizeSeparators(s), pythonNormalization.ReplaceAllLiteralString(s, "-"); got != want {
			t.Errorf("%q: %q, want %q", s, got, want)
		}
	}
}
