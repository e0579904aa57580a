package report

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
)

// How each kind of place renders: the file CI systems open (with line and
// column) and the place a person reads.
func TestPlace(t *testing.T) {
	tests := []struct {
		name      string
		kind      string
		f         findings.Finding
		file      string
		line      int
		column    int
		where     string
		viewPlace string
	}{
		{"directory root", findings.TargetDirectory, findings.Finding{Location: findings.Location{Target: ".", Path: "go.mod", Line: 5}}, "go.mod", 5, 0, "go.mod", "go.mod:5"},
		{"subdirectory", findings.TargetDirectory, findings.Finding{Location: findings.Location{Target: "sub/app", Path: "x.env", Line: 2, Column: 7}}, "sub/app/x.env", 2, 7, "sub/app/x.env", "sub/app/x.env:2:7"},
		{"file target", findings.TargetFile, findings.Finding{Location: findings.Location{Target: "app/requirements.txt", Path: "requirements.txt", Line: 1}}, "app/requirements.txt", 1, 0, "app/requirements.txt", "app/requirements.txt:1"},
		{"file it includes", findings.TargetFile, findings.Finding{Location: findings.Location{Target: "app/requirements.txt", Path: "base.txt", Line: 3}}, "app/base.txt", 3, 0, "app/base.txt", "app/base.txt:3"},
		{"image file", findings.TargetImage, findings.Finding{Image: &findings.Image{}, Location: findings.Location{Target: "registry.example.com/app:1.0", Path: "var/lib/dpkg/status"}},
			"image/registry.example.com/app_1.0/var/lib/dpkg/status", 0, 0, "registry.example.com/app:1.0 /var/lib/dpkg/status", "registry.example.com/app:1.0 /var/lib/dpkg/status"},
		{"image secret", findings.TargetImage, findings.Finding{Image: &findings.Image{}, Location: findings.Location{Target: "docker-archive:build/app.tar", Path: "app/.env", Line: 1, Column: 5}},
			"image/docker-archive_build/app.tar/app/.env", 1, 5, "docker-archive:build/app.tar /app/.env", "docker-archive:build/app.tar /app/.env:1:5"},
		{"image configuration", findings.TargetImage, findings.Finding{Image: &findings.Image{}, Location: findings.Location{Target: "app:1"}}, "image/app_1", 0, 0, "app:1", "app:1"},
		{"Dockerfile line", findings.TargetImage, findings.Finding{Image: &findings.Image{}, Location: findings.Location{Target: "app:1", Path: "app/.env", Line: 1, Dockerfile: &findings.FileLine{Path: "build/Dockerfile", Line: 7}}},
			"build/Dockerfile", 7, 0, "build/Dockerfile", "build/Dockerfile:7"},
		{"document without targets", "", findings.Finding{Location: findings.Location{Path: "web/package-lock.json", Line: 9}}, "web/package-lock.json", 9, 0, "web/package-lock.json", "web/package-lock.json:9"},
	}
	for _, tt := range tests {
		doc := &findings.Document{Findings: []findings.Finding{tt.f}}
		if tt.f.Location.Target != "" {
			doc.Scans = []findings.Scan{{Scanner: "x", Target: tt.f.Location.Target, Kind: tt.kind}}
		}
		v := views(doc, doc.Findings)[0]
		if v.file != tt.file || v.line != tt.line || v.column != tt.column || v.where != tt.where || v.place != tt.viewPlace {
			t.Errorf("%s: file %q line %d col %d where %q place %q; want %q %d %d %q %q", tt.name, v.file, v.line, v.column, v.where, v.place, tt.file, tt.line, tt.column, tt.where, tt.viewPlace)
		}
	}
}

// Every CI format points at the same file, line and column: the view's.
func TestFormatsAgreeOnPlaces(t *testing.T) {
	doc := &findings.Document{
		Scans: []findings.Scan{
			{Scanner: findings.ScannerSecrets, Target: "svc", Kind: findings.TargetDirectory},
			{Scanner: findings.ScannerContainer, Target: "app:1", Kind: findings.TargetImage},
		},
		Findings: []findings.Finding{
			{ID: "a", Kind: findings.KindSecret, Scanner: findings.ScannerSecrets, RuleID: "r1", Severity: findings.SeverityHigh,
				Location: findings.Location{Target: "svc", Path: "conf/x.env", Line: 4, Column: 3}, Decision: findings.DecisionDeny},
			{ID: "b", Kind: findings.KindSecret, Scanner: findings.ScannerContainer, RuleID: "r2", Severity: findings.SeverityHigh,
				Location: findings.Location{Target: "app:1", Path: "app/.env", Line: 2, Column: 9}, Image: &findings.Image{Ref: "app:1", Path: "/app/.env"}, Decision: findings.DecisionDeny},
		},
		Decision: &findings.Decision{Result: findings.ResultFail},
	}
	want := map[string]string{"r1": "svc/conf/x.env", "r2": "image/app_1/app/.env"}
	lines := map[string][2]int{"r1": {4, 3}, "r2": {2, 9}}

	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(render(t, FormatSARIF, Options{}, doc), &log); err != nil {
		t.Fatal(err)
	}
	for _, r := range log.Runs[0].Results {
		pl := r.Locations[0].PhysicalLocation
		if pl.ArtifactLocation.URI != want[r.RuleID] || pl.Region.StartLine != lines[r.RuleID][0] || pl.Region.StartColumn != lines[r.RuleID][1] {
			t.Errorf("SARIF %s at %+v, want %s:%v", r.RuleID, pl, want[r.RuleID], lines[r.RuleID])
		}
	}
	annotations := strings.Join(GitHubAnnotations(doc, 0), "\n")
	junit := string(render(t, FormatJUnit, Options{}, doc))
	gitlab := string(render(t, FormatGitLabSecrets, Options{}, doc))
	for rule, file := range want {
		l := lines[rule]
		if a := "file=" + escapeAnnotationProperty(file) + ",line=" + strconv.Itoa(l[0]) + ",col=" + strconv.Itoa(l[1]); !strings.Contains(annotations, a) {
			t.Errorf("annotations lack %s:\n%s", a, annotations)
		}
		if j := `file="` + file + `" line="` + strconv.Itoa(l[0]) + `"`; !strings.Contains(junit, j) {
			t.Errorf("JUnit lacks %s:\n%s", j, junit)
		}
		if g := `"file": "` + file + `",` + "\n" + `        "start_line": ` + strconv.Itoa(l[0]); !strings.Contains(gitlab, g) {
			t.Errorf("GitLab lacks %s:\n%s", g, gitlab)
		}
	}
}

// What a finding says, in one or two sentences (annotations, JUnit,
// GitLab) and as SARIF's message, for each shape of finding.
func TestFindingTexts(t *testing.T) {
	vuln := findings.Finding{Kind: findings.KindVulnerability, RuleID: "GO-2021-0113", Severity: findings.SeverityHigh,
		CVSS:          &findings.CVSS{Score: 7.5},
		Package:       &findings.Package{Name: "golang.org/x/text", Version: "0.3.5"},
		Vulnerability: &findings.Vulnerability{ID: "GO-2021-0113", Summary: "Out-of-bounds read.", FixedVersions: []string{"0.3.7"}}}
	license := findings.Finding{Kind: "license", RuleID: "GPL-3.0", Title: "Copyleft license", Severity: findings.SeverityLow,
		Package: &findings.Package{Name: "lib", Version: "1.0"}}
	secret := findings.Finding{Kind: findings.KindSecret, RuleID: "aws-access-token", Title: "AWS access token", Severity: findings.SeverityCritical}
	bare := findings.Finding{Kind: findings.KindMisconfiguration, RuleID: "image-runs-as-root", Title: "image-runs-as-root", Severity: findings.SeverityMedium}
	for _, tt := range []struct {
		f                findings.Finding
		summary, message string
	}{
		{vuln, "golang.org/x/text@0.3.5 is affected by GO-2021-0113: Out-of-bounds read. Fixed in 0.3.7.", "golang.org/x/text@0.3.5 is affected by GO-2021-0113 (high, CVSS 7.5). Fixed in 0.3.7."},
		{license, "lib@1.0: Copyleft license (GPL-3.0).", "lib@1.0: Copyleft license (GPL-3.0, low)."},
		{secret, "AWS access token (aws-access-token).", "AWS access token (aws-access-token, critical)."},
		{bare, "image-runs-as-root.", "image-runs-as-root (medium)."},
	} {
		doc := &findings.Document{Findings: []findings.Finding{tt.f}}
		v := views(doc, doc.Findings)[0]
		if got := v.summary(); got != tt.summary {
			t.Errorf("%s: summary %q, want %q", tt.f.RuleID, got, tt.summary)
		}
		if got := v.message(); got != tt.message {
			t.Errorf("%s: message %q, want %q", tt.f.RuleID, got, tt.message)
		}
	}
}
