package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
)

func TestAnnotationEscaping(t *testing.T) {
	tests := []struct {
		in, data, property string
	}{
		{"plain text", "plain text", "plain text"},
		{"100% sure", "100%25 sure", "100%25 sure"},
		{"%0A is not a newline", "%250A is not a newline", "%250A is not a newline"},
		{"line1\nline2\r\nline3\r", "line1%0Aline2%0D%0Aline3%0D", "line1%0Aline2%0D%0Aline3%0D"},
		{"C:\\dir,with,commas/go.mod", "C:\\dir,with,commas/go.mod", "C%3A\\dir%2Cwith%2Ccommas/go.mod"},
		{"::error::injected", "::error::injected", "%3A%3Aerror%3A%3Ainjected"},
		{"a,b:c%d\ne", "a,b:c%25d%0Ae", "a%2Cb%3Ac%25d%0Ae"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := escapeAnnotationData(tt.in); got != tt.data {
			t.Errorf("escapeAnnotationData(%q) = %q, want %q", tt.in, got, tt.data)
		}
		if got := escapeAnnotationProperty(tt.in); got != tt.property {
			t.Errorf("escapeAnnotationProperty(%q) = %q, want %q", tt.in, got, tt.property)
		}
	}
}

func TestGitHubAnnotationsSample(t *testing.T) {
	got := GitHubAnnotations(sampleDocument(), 0)
	want := []string{
		"::error file=policies/coverage.rego,line=9,title=ACME-001 (acme.coverage)::acme.coverage: the secret scan did not cover the git history. Remediation: Run secgate scan with --history.",
		"::error title=secgate.limits::secgate.limits: 3 findings are denied; at most 0 are allowed",
		"::error file=config/prod.env,line=4,col=9,title=aws-access-key-id (critical)::AWS access key ID (aws-access-key-id).%0Asecgate.secrets: secret found: AWS access key ID",
		"::error file=api/pom.xml,line=31,title=GHSA-jfh8-c2jp-5v3q (critical)::org.apache.logging.log4j:log4j-core@2.14.1 is affected by GHSA-jfh8-c2jp-5v3q: Remote code injection in Log4j. Fixed in 2.15.0.%0Asecgate.vulnerabilities: GHSA-jfh8-c2jp-5v3q (critical) in org.apache.logging.log4j:log4j-core@2.14.1 (api/pom.xml:31): CVE-2021-44228 is in CISA KEV (known exploited, added 2021-12-10); fixed in 2.15.0",
		"::error file=go.mod,line=12,title=GO-2021-0113 (high)::golang.org/x/text@0.3.5 is affected by GO-2021-0113: Out-of-bounds read in golang.org/x/text/language. Fixed in 0.3.7.%0Asecgate.vulnerabilities: GO-2021-0113 (high) in golang.org/x/text@0.3.5 has a fix: upgrade to 0.3.7",
		"::error file=tools/go.mod,line=7,title=GO-2021-0113 (high)::golang.org/x/text@0.3.6 is affected by GO-2021-0113: Out-of-bounds read in golang.org/x/text/language. Fixed in 0.3.7.%0Asecgate.vulnerabilities: GO-2021-0113 (high) in golang.org/x/text@0.3.6 has a fix: upgrade to 0.3.7",
		"::warning title=secgate.limits::secgate.limits: 1 finding has an unknown severity",
		"::warning file=web/package-lock.json,title=GHSA-0000-0000-0001 (unknown)::left-pad@1.0.0 is affected by GHSA-0000-0000-0001: left-pad pads with the wrong character. No fix is available.%0Asecgate.vulnerabilities: GHSA-0000-0000-0001 in left-pad@1.0.0 has no fix",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Deterministic whatever the input order.
	for seed := range uint64(10) {
		if again := GitHubAnnotations(shuffled(sampleDocument(), seed), 0); strings.Join(again, "\n") != strings.Join(got, "\n") {
			t.Fatalf("seed %d: different annotations:\n%s", seed, strings.Join(again, "\n"))
		}
	}
	if GitHubAnnotations(nil, 0) != nil {
		t.Error("annotations for a nil document")
	}
}

// TestGitHubAnnotationsHostile: paths with colons and commas, messages with
// percent signs and line breaks stay one workflow command each, and file=
// is the path relative to the report root.
func TestGitHubAnnotationsHostile(t *testing.T) {
	doc := &findings.Document{
		Scans: []findings.Scan{{Scanner: findings.ScannerSecrets, Target: "svc", Kind: findings.TargetDirectory}},
		Findings: []findings.Finding{{
			ID: "x", Kind: findings.KindSecret, Scanner: findings.ScannerSecrets, RuleID: "rule:with,odd",
			Title: "100% a secret\n::error::forged", Severity: findings.SeverityHigh,
			Location: findings.Location{Target: "svc", Path: "dir:a,b/file.env", Line: 3, Column: 5}, Decision: findings.DecisionDeny,
		}},
		Decision: &findings.Decision{Result: findings.ResultFail, Deny: []findings.PolicyResult{
			{Msg: "50% over\r\nthe limit", ID: "x", Policy: "p"},
		}},
	}
	got := GitHubAnnotations(doc, 0)
	want := "::error file=svc/dir%3Aa%2Cb/file.env,line=3,col=5,title=rule%3Awith%2Codd (high)::100%25 a secret ::error::forged (rule:with,odd).%0Ap: 50%25 over the limit"
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	for _, l := range got {
		if strings.ContainsAny(l, "\r\n") {
			t.Errorf("raw line break in %q", l)
		}
	}
}

func TestGitHubAnnotationsCap(t *testing.T) {
	doc := manyFindings(60)
	for i := range 10 {
		doc.Findings[i].Decision = findings.DecisionWarn
	}
	doc.Findings[59].Decision = findings.DecisionWaived
	doc.Findings[58].Decision = findings.DecisionAllow
	// 48 denied, 10 warned.
	got := GitHubAnnotations(doc, 0)
	if len(got) != DefaultMaxAnnotations+1 {
		t.Fatalf("%d lines, want %d annotations and a notice", len(got), DefaultMaxAnnotations)
	}
	for i, l := range got[:48] {
		if !strings.HasPrefix(l, "::error file=") {
			t.Errorf("line %d is not a denied finding: %s", i, l)
		}
	}
	for i, l := range got[48:50] {
		if !strings.HasPrefix(l, "::warning file=") {
			t.Errorf("line %d is not a warned finding: %s", 48+i, l)
		}
	}
	if last := got[50]; last != "::notice title=secgate::8 more annotations not shown (8 warnings); see the secgate report for all findings." {
		t.Errorf("notice %q", last)
	}

	got = GitHubAnnotations(doc, 5)
	if len(got) != 6 || got[5] != "::notice title=secgate::53 more annotations not shown (43 errors, 10 warnings); see the secgate report for all findings." {
		t.Errorf("max 5: %d lines, last %q", len(got), got[len(got)-1])
	}
	if got := GitHubAnnotations(doc, -1); len(got) != 58 {
		t.Errorf("no cap: %d lines, want 58", len(got))
	}
	if got := GitHubAnnotations(manyFindings(50), 50); len(got) != 50 || strings.HasPrefix(got[49], "::notice") {
		t.Errorf("exactly 50: %d lines", len(got))
	}
}

// TestNoSecretValues: the redacted prefix of a secret (the only part of it
// a finding holds) is in none of the CI outputs.
func TestNoSecretValues(t *testing.T) {
	doc := sampleDocument()
	const redacted = "AKZQ…"
	for i := range doc.Findings {
		if doc.Findings[i].Kind == findings.KindSecret {
			doc.Findings[i].Secret = &findings.Secret{Redacted: redacted, Confidence: "high", Fingerprint: "0123456789abcdef0123456789abcdef"}
		}
	}
	for _, format := range []string{FormatJUnit, FormatGitLab, FormatGitLabSecrets, FormatMarkdown} {
		if out := string(render(t, format, Options{}, doc)); strings.Contains(out, "AKZQ") {
			t.Errorf("%s output holds the redacted secret", format)
		}
	}
	if out := strings.Join(GitHubAnnotations(doc, 0), "\n"); strings.Contains(out, "AKZQ") {
		t.Errorf("annotations hold the redacted secret")
	}
}

func ExampleGitHubAnnotations() {
	doc := &findings.Document{
		Findings: []findings.Finding{{
			ID: "1", Kind: findings.KindVulnerability, Scanner: findings.ScannerDeps, RuleID: "GO-2021-0113",
			Severity: findings.SeverityHigh, Location: findings.Location{Path: "go.mod", Line: 5},
			Package:       &findings.Package{Name: "golang.org/x/text", Version: "0.3.5"},
			Vulnerability: &findings.Vulnerability{ID: "GO-2021-0113", FixedVersions: []string{"0.3.7"}},
			Decision:      findings.DecisionDeny,
		}},
	}
	for _, line := range GitHubAnnotations(doc, DefaultMaxAnnotations) {
		fmt.Println(line)
	}
	// Output:
	// ::error file=go.mod,line=5,title=GO-2021-0113 (high)::golang.org/x/text@0.3.5 is affected by GO-2021-0113. Fixed in 0.3.7.
}
