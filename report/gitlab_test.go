package report

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/schematest"
)

// gitlabSchema compiles the copy of GitLab's schema of format's report, of
// the version the reports declare, in testdata/gitlab-schemas (see its
// README.md).
func gitlabSchema(t *testing.T, format string) *jsonschema.Schema {
	t.Helper()
	return schematest.GitLab(t, "..", GitLabSchemaVersion, gitlabSchemas[format])
}

// gitlabSchemas names the schema of each GitLab format's report.
var gitlabSchemas = map[string]string{
	FormatGitLab:          "dependency-scanning",
	FormatGitLabSecrets:   "secret-detection",
	FormatGitLabContainer: "container-scanning",
}

// gitlabTypes is the scan type of each GitLab format's report.
var gitlabTypes = map[string]string{
	FormatGitLab:          "dependency_scanning",
	FormatGitLabSecrets:   "secret_detection",
	FormatGitLabContainer: "container_scanning",
}

// gitlabEdgeDocument has what could break the schemas: a name over 255
// characters, CVSS vectors (which the schemas do not define),
// references that are not URLs, no tool version, a finding without path,
// a container finding, a secret from git history and one without a line,
// and a misconfiguration (in no report).
func gitlabEdgeDocument() *findings.Document {
	long := strings.Repeat("Ü", 300)
	return &findings.Document{
		Scans: []findings.Scan{
			{Scanner: findings.ScannerContainer, Target: "registry.example.com/app:1.0", Kind: findings.TargetImage},
			{Scanner: findings.ScannerContainer, Target: "app", Kind: findings.TargetImage},
		},
		Findings: []findings.Finding{
			{
				ID: "v4", Kind: findings.KindVulnerability, Scanner: findings.ScannerDeps, RuleID: "RUSTSEC-2024-0001",
				Title: long, Severity: findings.SeverityLow,
				CVSS:     &findings.CVSS{Score: 2.1, Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:L/SC:N/SI:N/SA:N"},
				Package:  &findings.Package{Name: "crate", Version: "", Ecosystem: "crates.io"},
				Location: findings.Location{},
				Vulnerability: &findings.Vulnerability{
					ID: "RUSTSEC-2024-0001", Aliases: []string{"CVE-2024-0001", "CVE-2024-0001", "CWE-79"},
					References: []string{"not a url", "HTTPS://EXAMPLE.COM/x", "https://example.com/a b", "ftp://example.com/f", "https://example.com/ok"},
				},
				Decision: findings.DecisionAllow,
			},
			{
				ID: "img", Kind: findings.KindVulnerability, Scanner: findings.ScannerContainer, RuleID: "DEBIAN-CVE-2023-0001",
				Severity: findings.SeverityCritical, CVSS: &findings.CVSS{Score: 7.5, Vector: "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
				Package:       &findings.Package{Name: "openssl", Version: "3.0.11-1~deb12u1", Ecosystem: "Debian:12"},
				Location:      findings.Location{Target: "registry.example.com/app:1.0", Path: "var/lib/dpkg/status"},
				Image:         &findings.Image{Ref: "registry.example.com/app:1.0", Path: "/var/lib/dpkg/status"},
				Vulnerability: &findings.Vulnerability{ID: "DEBIAN-CVE-2023-0001", Summary: "x", FixedVersions: []string{"3.0.13-1~deb12u1", "3.1.0"}},
			},
			{
				ID: "hist", Kind: findings.KindSecret, Scanner: findings.ScannerSecrets, RuleID: "github-pat",
				Title: "GitHub personal access token", Severity: findings.SeverityCritical,
				Location: findings.Location{Path: "deploy.sh", Line: 7, Column: 12},
				Secret:   &findings.Secret{Redacted: "ghp_…", Confidence: "high", Fingerprint: "0123456789abcdef0123456789abcdef"},
				Commit:   &findings.Commit{SHA: "0123456789abcdef0123456789abcdef01234567", AuthorEmail: "dev@example.com", Date: "2024-01-02T03:04:05Z"},
				Decision: findings.DecisionDeny,
			},
			{
				ID: "noline", Kind: findings.KindSecret, Scanner: findings.ScannerContainer, RuleID: "private-key",
				Severity: findings.SeverityHigh, Location: findings.Location{Target: "app", Path: "root/.ssh/id_rsa"},
				Image:  &findings.Image{Ref: "app", Path: "/root/.ssh/id_rsa"},
				Secret: &findings.Secret{Redacted: "----…", Confidence: "high"},
			},
			{
				ID: "root", Kind: findings.KindMisconfiguration, Scanner: findings.ScannerContainer, RuleID: "image-runs-as-root",
				Severity: findings.SeverityMedium, Location: findings.Location{Path: "Dockerfile", Line: 1},
			},
		},
	}
}

// TestGitLabSchema: every GitLab report validates against the schema of the
// version it declares, GitLab's copy of which is in testdata/gitlab-schemas.
func TestGitLabSchema(t *testing.T) {
	docs := map[string]*findings.Document{
		"sample": sampleDocument(),
		"image":  sampleImageDocument(),
		"edge":   gitlabEdgeDocument(),
		"empty":  {},
	}
	for format := range gitlabSchemas {
		sch := gitlabSchema(t, format)
		for name, doc := range docs {
			t.Run(format+"/"+name, func(t *testing.T) {
				schematest.Validate(t, sch, render(t, format, Options{}, doc))
			})
		}
	}
}

// gitlabOut is the part of a GitLab report the tests look at.
type gitlabOut struct {
	Version string `json:"version"`
	Schema  string `json:"schema"`
	Scan    struct {
		Analyzer, Scanner struct {
			ID, Name, Version string
			Vendor            struct{ Name string }
		}
		Type      string `json:"type"`
		StartTime string `json:"start_time"`
		EndTime   string `json:"end_time"`
		Status    string `json:"status"`
	} `json:"scan"`
	DependencyFiles *[]json.RawMessage `json:"dependency_files"`
	Vulnerabilities []struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Severity    string `json:"severity"`
		Solution    string `json:"solution"`
		Identifiers []struct {
			Type, Name, Value, URL string
		} `json:"identifiers"`
		CVSSVectors []json.RawMessage      `json:"cvss_vectors"`
		Links       []struct{ URL string } `json:"links"`
		Location    struct {
			File            string  `json:"file"`
			StartLine       int     `json:"start_line"`
			Image           *string `json:"image"`
			OperatingSystem *string `json:"operating_system"`
			Dependency      *struct {
				Package struct {
					Name *string `json:"name"`
				} `json:"package"`
				Version *string `json:"version"`
			} `json:"dependency"`
			Commit *struct {
				SHA    string `json:"sha"`
				Author string `json:"author"`
			} `json:"commit"`
		} `json:"location"`
	} `json:"vulnerabilities"`
}

func renderGitLab(t *testing.T, format string, opts Options, doc *findings.Document) gitlabOut {
	t.Helper()
	var r gitlabOut
	if err := json.Unmarshal(render(t, format, opts, doc), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGitLabRequiredFields asserts in Go what GitLab requires, so that a
// change is caught even without the schema: version, scan (analyzer and
// scanner with id, name, version, vendor; type; times; status),
// vulnerabilities with id, identifiers and the location of their type,
// dependency_files in a dependency scanning report; and no field the
// declared schema does not define (cvss_vectors came in a later version).
func TestGitLabRequiredFields(t *testing.T) {
	timeRE := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`)
	for _, doc := range []*findings.Document{sampleDocument(), sampleImageDocument(), gitlabEdgeDocument()} {
		for format, typ := range gitlabTypes {
			r := renderGitLab(t, format, Options{}, doc)
			if r.Version != GitLabSchemaVersion || !strings.HasSuffix(r.Schema, "/v"+GitLabSchemaVersion+"/dist/"+gitlabSchemas[format]+"-report-format.json") {
				t.Errorf("%s: version %q schema %q", format, r.Version, r.Schema)
			}
			if (r.DependencyFiles != nil) != (format == FormatGitLab) {
				t.Errorf("%s: dependency_files %v", format, r.DependencyFiles)
			}
			s := r.Scan
			for _, tool := range []struct{ ID, Name, Version, Vendor string }{
				{s.Analyzer.ID, s.Analyzer.Name, s.Analyzer.Version, s.Analyzer.Vendor.Name},
				{s.Scanner.ID, s.Scanner.Name, s.Scanner.Version, s.Scanner.Vendor.Name},
			} {
				if tool.ID == "" || tool.Name == "" || tool.Version == "" || tool.Vendor == "" {
					t.Errorf("%s: incomplete tool %+v", format, tool)
				}
			}
			if s.Type != typ || s.Status != "success" || !timeRE.MatchString(s.StartTime) || !timeRE.MatchString(s.EndTime) {
				t.Errorf("%s: scan %+v", format, s)
			}
			for _, v := range r.Vulnerabilities {
				if v.ID == "" || len(v.Identifiers) == 0 {
					t.Errorf("%s: vulnerability without id or identifiers: %+v", format, v)
				}
				for _, id := range v.Identifiers {
					if id.Type == "" || id.Name == "" || id.Value == "" {
						t.Errorf("%s: incomplete identifier %+v", format, id)
					}
				}
				if v.CVSSVectors != nil {
					t.Errorf("%s: cvss_vectors in a %s report", format, GitLabSchemaVersion)
				}
				switch format {
				case FormatGitLab:
					if d := v.Location.Dependency; v.Location.File == "" || d == nil || d.Package.Name == nil || d.Version == nil {
						t.Errorf("dependency location %+v", v.Location)
					}
				case FormatGitLabContainer:
					l := v.Location
					if d := l.Dependency; l.Image == nil || *l.Image == "" || l.OperatingSystem == nil || *l.OperatingSystem == "" || d == nil || d.Package.Name == nil || d.Version == nil {
						t.Errorf("container location %+v", l)
					}
				case FormatGitLabSecrets:
					if v.Location.Commit == nil || v.Location.Commit.SHA == "" {
						t.Errorf("secret location without commit: %+v", v.Location)
					}
				}
			}
		}
	}
}

func TestGitLabContents(t *testing.T) {
	r := renderGitLab(t, FormatGitLab, Options{}, gitlabEdgeDocument())
	if len(r.Vulnerabilities) != 1 {
		t.Fatalf("%d vulnerabilities, want the dependency finding alone", len(r.Vulnerabilities))
	}
	v4 := r.Vulnerabilities[0]
	if n := len([]rune(v4.Name)); n != gitlabMaxName {
		t.Errorf("name of %d characters, want %d", n, gitlabMaxName)
	}
	if v4.ID != "v4" || v4.Severity != "Low" || v4.Location.File != "unknown" {
		t.Errorf("v4: %+v", v4)
	}
	var types []string
	for _, id := range v4.Identifiers {
		types = append(types, id.Type+":"+id.Value)
	}
	if got := strings.Join(types, " "); got != "osv:RUSTSEC-2024-0001 cve:CVE-2024-0001 cwe:79" {
		t.Errorf("identifiers %s", got)
	}
	var links []string
	for _, l := range v4.Links {
		links = append(links, l.URL)
	}
	if got := strings.Join(links, " "); got != "ftp://example.com/f https://example.com/ok" {
		t.Errorf("links %s", got)
	}

	c := renderGitLab(t, FormatGitLabContainer, Options{}, gitlabEdgeDocument())
	if len(c.Vulnerabilities) != 1 {
		t.Fatalf("%d container vulnerabilities, want the image's package", len(c.Vulnerabilities))
	}
	img := c.Vulnerabilities[0]
	if l := img.Location; img.ID != "img" || l.File != "" || *l.Image != "registry.example.com/app:1.0" || *l.OperatingSystem != "Debian:12" ||
		*l.Dependency.Package.Name != "openssl" || *l.Dependency.Version != "3.0.11-1~deb12u1" {
		t.Errorf("container location: %+v", img.Location)
	}
	if img.Severity != "Critical" || img.Solution != "Upgrade openssl to a fixed version: 3.0.13-1~deb12u1, 3.1.0." ||
		!strings.Contains(img.Description, "Found in image registry.example.com/app:1.0, /var/lib/dpkg/status.") {
		t.Errorf("container vulnerability: %+v", img)
	}
	if img.Identifiers[0].Type != "osv" || img.Identifiers[0].URL != "https://osv.dev/vulnerability/DEBIAN-CVE-2023-0001" {
		t.Errorf("identifiers %+v", img.Identifiers)
	}

	s := renderGitLab(t, FormatGitLabSecrets, Options{}, gitlabEdgeDocument())
	if len(s.Vulnerabilities) != 2 {
		t.Fatalf("%d secrets, want 2", len(s.Vulnerabilities))
	}
	for _, v := range s.Vulnerabilities {
		switch v.ID {
		case "hist":
			if v.Location.File != "deploy.sh" || v.Location.StartLine != 7 || v.Location.Commit.SHA != "0123456789abcdef0123456789abcdef01234567" ||
				v.Location.Commit.Author != "dev@example.com" || v.Identifiers[0].Type != "gitleaks_rule_id" || v.Identifiers[0].Value != "github-pat" {
				t.Errorf("history secret: %+v", v)
			}
		case "noline":
			if v.Location.StartLine != 0 || v.Location.Commit.SHA != gitlabNoCommit || v.Name != "private-key" {
				t.Errorf("secret without line: %+v", v)
			}
		default:
			t.Errorf("unexpected %s", v.ID)
		}
	}
}

func TestGitLabTimes(t *testing.T) {
	zone := time.FixedZone("CEST", 2*60*60)
	tests := []struct {
		start, end         time.Time
		wantStart, wantEnd string
	}{
		{time.Time{}, time.Time{}, "1970-01-01T00:00:00", "1970-01-01T00:00:00"},
		{time.Date(2025, 3, 4, 12, 30, 15, 999, zone), time.Date(2025, 3, 4, 12, 31, 0, 0, zone), "2025-03-04T10:30:15", "2025-03-04T10:31:00"},
		{time.Date(2025, 3, 4, 12, 30, 15, 0, time.UTC), time.Time{}, "2025-03-04T12:30:15", "2025-03-04T12:30:15"},
	}
	for _, tt := range tests {
		for format := range gitlabTypes {
			r := renderGitLab(t, format, Options{StartTime: tt.start, EndTime: tt.end}, sampleDocument())
			if r.Scan.StartTime != tt.wantStart || r.Scan.EndTime != tt.wantEnd {
				t.Errorf("%s %v–%v: %s–%s, want %s–%s", format, tt.start, tt.end, r.Scan.StartTime, r.Scan.EndTime, tt.wantStart, tt.wantEnd)
			}
		}
	}
}

// TestGitLabSchemaRejects: the schema copies check what they should, so
// that TestGitLabSchema means something.
func TestGitLabSchemaRejects(t *testing.T) {
	tests := []struct {
		format, name string
		edit         [2]string
	}{
		{FormatGitLab, "lower-case severity", [2]string{`"severity": "High"`, `"severity": "high"`}},
		{FormatGitLab, "time with zone", [2]string{`"start_time": "1970-01-01T00:00:00"`, `"start_time": "1970-01-01T00:00:00Z"`}},
		{FormatGitLab, "link not a URL", [2]string{`"url": "https://go.dev/cl/340830"`, `"url": "go.dev/cl/340830"`}},
		{FormatGitLab, "no version", [2]string{`"version": "0.3.5"`, `"versio": "0.3.5"`}},
		{FormatGitLab, "wrong scan type", [2]string{`"type": "dependency_scanning"`, `"type": "secret_detection"`}},
		{FormatGitLab, "no dependency_files", [2]string{`"dependency_files": []`, `"dependency_file": []`}},
		{FormatGitLabContainer, "no operating system", [2]string{`"operating_system": "Debian:12"`, `"os": "Debian:12"`}},
		{FormatGitLabContainer, "empty image", [2]string{`"image": "registry.example.com/shop/web:1.4"`, `"image": ""`}},
		{FormatGitLabContainer, "no package name", [2]string{`"name": "openssl"`, `"nam": "openssl"`}},
		{FormatGitLabContainer, "wrong scan type", [2]string{`"type": "container_scanning"`, `"type": "dependency_scanning"`}},
		{FormatGitLabSecrets, "no commit", [2]string{`"commit": {`, `"commi": {`}},
	}
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.name, func(t *testing.T) {
			good := string(render(t, tt.format, Options{}, sampleImageDocument()))
			bad := strings.Replace(good, tt.edit[0], tt.edit[1], 1)
			if bad == good {
				t.Fatalf("%s not in the output", tt.edit[0])
			}
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
			if err != nil {
				t.Fatal(err)
			}
			if gitlabSchema(t, tt.format).Validate(v) == nil {
				t.Error("the schema accepts it")
			}
		})
	}
}

// TestGitLabReportsSplit: every vulnerability finding with a package is in
// exactly one of the dependency and container scanning reports, the
// container scanner's in the container scanning report.
func TestGitLabReportsSplit(t *testing.T) {
	for name, doc := range map[string]*findings.Document{"image": sampleImageDocument(), "edge": gitlabEdgeDocument()} {
		in := map[string]string{}
		for _, format := range []string{FormatGitLab, FormatGitLabContainer} {
			for _, v := range renderGitLab(t, format, Options{}, doc).Vulnerabilities {
				if prev, ok := in[v.ID]; ok {
					t.Errorf("%s: %s in %s and %s", name, v.ID, prev, format)
				}
				in[v.ID] = format
			}
		}
		for _, f := range doc.Findings {
			want := ""
			switch {
			case f.Kind != findings.KindVulnerability || f.Package == nil:
			case f.Scanner == findings.ScannerContainer:
				want = FormatGitLabContainer
			default:
				want = FormatGitLab
			}
			if in[f.ID] != want {
				t.Errorf("%s: %s (%s, %s) in %q, want %q", name, f.ID, f.Scanner, f.Kind, in[f.ID], want)
			}
		}
	}
}
