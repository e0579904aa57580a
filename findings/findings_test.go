package findings_test

import (
	"encoding/json"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/schematest"
)

func TestFingerprint(t *testing.T) {
	a := findings.Fingerprint("deps", "GO-2021-0113", "go.mod", "Go", "golang.org/x/text", "0.3.5")
	if a != findings.Fingerprint("deps", "GO-2021-0113", "go.mod", "Go", "golang.org/x/text", "0.3.5") {
		t.Error("not stable")
	}
	if len(a) != 32 {
		t.Errorf("len %d, want 32 hex digits", len(a))
	}
	// Parts are separated: moving text between parts changes the print.
	if findings.Fingerprint("ab", "c") == findings.Fingerprint("a", "bc") {
		t.Error("parts are not separated")
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]findings.Severity{
		"CRITICAL": findings.SeverityCritical, "high": findings.SeverityHigh, "Important": findings.SeverityHigh,
		"MODERATE": findings.SeverityMedium, "medium": findings.SeverityMedium, "low": findings.SeverityLow,
		"unknown": findings.SeverityUnknown,
	} {
		if got, err := findings.ParseSeverity(in); err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := findings.ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity(severe): no error")
	}
}

func TestSeverityFromScore(t *testing.T) {
	for score, want := range map[float64]findings.Severity{10: "critical", 9.0: "critical", 8.9: "high", 7.0: "high", 6.9: "medium", 4.0: "medium", 3.9: "low", 0: "low"} {
		if got := findings.SeverityFromScore(score); got != want {
			t.Errorf("SeverityFromScore(%v) = %s, want %s", score, got, want)
		}
	}
}

func TestSortIsTotal(t *testing.T) {
	mk := func(path string, line int, name, rule, id string) findings.Finding {
		return findings.Finding{ID: id, Scanner: "deps", RuleID: rule, Location: findings.Location{Path: path, Line: line}, Package: &findings.Package{Name: name}}
	}
	want := []findings.Finding{
		mk("a", 1, "x", "R1", "1"), mk("a", 1, "x", "R2", "0"), mk("a", 2, "a", "R0", "2"), mk("b", 0, "", "R0", "3"),
	}
	got := []findings.Finding{want[3], want[1], want[2], want[0]}
	findings.Sort(got)
	for i := range want {
		if got[i].ID != want[i].ID {
			t.Fatalf("order %v", got)
		}
	}
}

// A document as the Go model writes it validates against the published
// schema, which forbids unknown fields.
func TestDocumentMatchesSchema(t *testing.T) {
	doc := findings.Document{
		SchemaVersion: findings.SchemaVersion,
		Tool:          findings.Tool{Name: "secgate", Version: "dev"},
		Scans:         []findings.Scan{{Scanner: "deps", Target: ".", Stats: map[string]int{"files": 1}}},
		Findings: []findings.Finding{{
			ID: findings.Fingerprint("x"), Kind: findings.KindVulnerability, Scanner: findings.ScannerDeps,
			RuleID: "GO-2021-0113", Title: "t", Severity: findings.SeverityHigh,
			CVSS:     &findings.CVSS{Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
			Location: findings.Location{Path: "go.mod", Line: 5},
			Package:  &findings.Package{Name: "golang.org/x/text", Version: "0.3.5", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/text@0.3.5"},
			Vulnerability: &findings.Vulnerability{ID: "GO-2021-0113", Aliases: []string{}, FixedVersions: []string{"0.3.7"},
				References: []string{}, Summary: "s", Details: "d", Published: "2021-10-06T17:51:21Z", Modified: "2024-05-20T16:03:47Z"},
			Decision: findings.DecisionDeny,
		}},
		Decision: &findings.Decision{Result: findings.ResultFail, Deny: []findings.PolicyResult{{Msg: "m", ID: "i", Policy: "secgate.vulnerabilities"}}, Warn: []findings.PolicyResult{}, Waived: []findings.PolicyResult{}},
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, schematest.Findings(t), data)
}
