package report

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
)

// counts are the attributes a CI system reads off <testsuites> and
// <testsuite>.
type counts struct {
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

// junitReport is the JUnit XML as a CI system reads it.
// Its types are the test's own, not the writer's, so that a field the
// writer misnames is caught.
type junitReport struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	counts
	Suites []struct {
		Name string `xml:"name,attr"`
		counts
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			File      string `xml:"file,attr"`
			Line      int    `xml:"line,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			Error     *struct{} `xml:"error"`
			SystemOut *string   `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, out []byte) junitReport {
	t.Helper()
	var r junitReport
	if err := xml.Unmarshal(out, &r); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, out)
	}
	return r
}

// checkJUnitCounts checks that the counts of every suite and of the root
// are those of the testcases.
func checkJUnitCounts(t *testing.T, r junitReport) {
	t.Helper()
	var tests, failures, skipped, errs int
	for _, s := range r.Suites {
		var f, sk, e int
		for _, c := range s.Cases {
			if c.Failure != nil {
				f++
			}
			if c.Skipped != nil {
				sk++
			}
			if c.Error != nil {
				e++
			}
			if c.Failure != nil && c.Skipped != nil {
				t.Errorf("%s: %q both failed and skipped", s.Name, c.Name)
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Skipped != sk || s.Errors != e || s.Time != "0" {
			t.Errorf("suite %s: tests=%d failures=%d skipped=%d errors=%d time=%q, cases say %d, %d, %d, %d",
				s.Name, s.Tests, s.Failures, s.Skipped, s.Errors, s.Time, len(s.Cases), f, sk, e)
		}
		tests += len(s.Cases)
		failures += f
		skipped += sk
		errs += e
	}
	if r.Tests != tests || r.Failures != failures || r.Skipped != skipped || r.Errors != errs {
		t.Errorf("testsuites: tests=%d failures=%d skipped=%d errors=%d, suites say %d, %d, %d, %d",
			r.Tests, r.Failures, r.Skipped, r.Errors, tests, failures, skipped, errs)
	}
}

func TestJUnitSample(t *testing.T) {
	out := render(t, FormatJUnit, Options{}, sampleDocument())
	if !strings.HasPrefix(string(out), `<?xml version="1.0" encoding="UTF-8"?>`+"\n<testsuites") {
		t.Errorf("no XML declaration:\n%s", out)
	}
	r := parseJUnit(t, out)
	checkJUnitCounts(t, r)
	// 7 findings and 3 policy results about the whole scan (2 deny, 1 warn);
	// 4 denied findings + 2 denied policy results fail, the waived finding
	// is skipped.
	if r.Name != "secgate" || r.Tests != 10 || r.Failures != 6 || r.Skipped != 1 || r.Errors != 0 {
		t.Errorf("testsuites %s: tests=%d failures=%d skipped=%d errors=%d, want 10, 6, 1, 0", r.Name, r.Tests, r.Failures, r.Skipped, r.Errors)
	}
	var names []string
	for _, s := range r.Suites {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "secgate deps,secgate secrets,secgate policy" {
		t.Errorf("suites = %s", got)
	}

	deps := r.Suites[0]
	if deps.Tests != 6 || deps.Failures != 3 || deps.Skipped != 1 {
		t.Errorf("deps suite: %d tests, %d failures, %d skipped", deps.Tests, deps.Failures, deps.Skipped)
	}
	// Log4Shell first (critical), its severity naming CISA KEV.
	if log4j := deps.Cases[0]; log4j.Name != "GHSA-jfh8-c2jp-5v3q org.apache.logging.log4j:log4j-core@2.14.1" || log4j.Failure == nil ||
		!strings.Contains(log4j.Failure.Text, "Severity: critical, CVSS 10.0, in CISA KEV since 2021-12-10") {
		t.Errorf("KEV case: %+v", log4j)
	}
	first := deps.Cases[1]
	if first.Name != "GO-2021-0113 golang.org/x/text@0.3.5" || first.Classname != "deps.vulnerability" ||
		first.File != "go.mod" || first.Line != 12 || first.Failure == nil || first.Failure.Type != "high" ||
		first.Failure.Message != "GO-2021-0113 (high) in golang.org/x/text@0.3.5 has a fix: upgrade to 0.3.7" {
		t.Errorf("first case: %+v", first)
	}
	for _, want := range []string{"Location: go.mod:12", "Fixed in 0.3.7.", "Policy (deny) secgate.vulnerabilities: "} {
		if !strings.Contains(first.Failure.Text, want) {
			t.Errorf("failure text lacks %q:\n%s", want, first.Failure.Text)
		}
	}
	for _, c := range deps.Cases {
		switch {
		case strings.HasPrefix(c.Name, "GHSA-jf85-cpcp-j695"):
			if c.Skipped == nil || c.Skipped.Message != "waived: defaultsDeep is never called with untrusted input; upgrade tracked in WEB-123 (until 2026-06-30, owner web-team@example.com)" {
				t.Errorf("waived case: %+v", c)
			}
		case strings.HasPrefix(c.Name, "GHSA-0000-0000-0001"):
			if c.Failure != nil || c.SystemOut == nil || !strings.HasPrefix(*c.SystemOut, "warning: GHSA-0000-0000-0001 in left-pad@1.0.0 has no fix") || c.Line != 0 {
				t.Errorf("warned case: %+v", c)
			}
		case strings.HasPrefix(c.Name, "GHSA-j8r2-6x86-q33q"):
			if c.Failure != nil || c.Skipped != nil || c.SystemOut != nil {
				t.Errorf("allowed case: %+v", c)
			}
		}
	}

	secret := r.Suites[1].Cases[0]
	if secret.Name != "aws-access-key-id config/prod.env" || secret.Classname != "secrets.secret" || secret.Failure == nil || secret.Failure.Type != "critical" {
		t.Errorf("secret case: %+v", secret)
	}

	policy := r.Suites[2]
	if policy.Tests != 3 || policy.Failures != 2 {
		t.Errorf("policy suite: %d tests, %d failures", policy.Tests, policy.Failures)
	}
	for _, c := range policy.Cases {
		if c.File != "" {
			t.Errorf("policy case with a file: %+v", c)
		}
		if c.Classname == "policy.acme.coverage" && (c.Failure == nil || c.Failure.Type != "high" || !strings.Contains(c.Failure.Text, "Remediation: Run secgate scan with --history.")) {
			t.Errorf("ACME-001 case: %+v", c)
		}
	}
}

func TestJUnitEmptyAndPassing(t *testing.T) {
	doc := &findings.Document{
		Tool:     findings.Tool{Name: "secgate", Version: "dev"},
		Scans:    []findings.Scan{{Scanner: findings.ScannerDeps, Target: "."}},
		Decision: &findings.Decision{Result: findings.ResultPass},
	}
	r := parseJUnit(t, render(t, FormatJUnit, Options{}, doc))
	checkJUnitCounts(t, r)
	// The scanner ran and found nothing: an empty suite says so.
	if r.Tests != 0 || len(r.Suites) != 1 || r.Suites[0].Name != "secgate deps" {
		t.Errorf("got %+v", r)
	}
	r = parseJUnit(t, render(t, FormatJUnit, Options{}, &findings.Document{}))
	if r.Tests != 0 || len(r.Suites) != 0 {
		t.Errorf("empty document: %+v", r)
	}
}

// TestJUnitHostileText: text XML cannot hold, markup and a CDATA end in
// findings and policy messages still give well-formed XML that reads back.
func TestJUnitHostileText(t *testing.T) {
	msg := "bad \x00\x1b[31m <tag> & \"quotes\" ]]> \xff end\r\nsecond line"
	doc := &findings.Document{
		Findings: []findings.Finding{{
			ID: "0123456789abcdef", Kind: findings.KindSecret, Scanner: findings.ScannerSecrets, RuleID: "rule<&>",
			Title: msg, Severity: findings.SeverityHigh, Location: findings.Location{Path: "a b/<c>.env", Line: 3},
			Decision: findings.DecisionDeny,
		}},
		Decision: &findings.Decision{Result: findings.ResultFail, Deny: []findings.PolicyResult{
			{Msg: msg, ID: "0123456789abcdef", Policy: "p"},
			{Msg: msg, Policy: "p"},
		}},
	}
	out := render(t, FormatJUnit, Options{}, doc)
	r := parseJUnit(t, out)
	checkJUnitCounts(t, r)
	c := r.Suites[0].Cases[0]
	if c.File != "a b/<c>.env" || c.Name != "rule<&> a b/<c>.env" || c.Failure == nil {
		t.Fatalf("case: %+v", c)
	}
	// Control characters are written as visible escapes (package
	// printable), invalid UTF-8 as U+FFFD.
	if !strings.Contains(c.Failure.Text, "]]> \ufffd end") || !strings.Contains(c.Failure.Message, `bad \x00\x1b[31m <tag> & "quotes"`) {
		t.Errorf("text not preserved: %q / %q", c.Failure.Message, c.Failure.Text)
	}
	if strings.ContainsAny(string(out), "\x00\x1b") {
		t.Error("control characters in the XML")
	}
}

func TestJUnitNamesAndTargets(t *testing.T) {
	secret := func(id string, line int) findings.Finding {
		return findings.Finding{
			ID: id, Kind: findings.KindSecret, Scanner: findings.ScannerSecrets, RuleID: "generic-api-key",
			Severity: findings.SeverityHigh, Location: findings.Location{Target: "services/api", Path: "app/.env", Line: line}, Decision: findings.DecisionWarn,
		}
	}
	doc := &findings.Document{
		Scans:    []findings.Scan{{Scanner: findings.ScannerSecrets, Target: "services/api", Kind: findings.TargetDirectory}},
		Findings: []findings.Finding{secret("aaaaaaaa11111111", 3), secret("bbbbbbbb22222222", 9)},
	}
	r := parseJUnit(t, render(t, FormatJUnit, Options{}, doc))
	cases := r.Suites[0].Cases
	if len(cases) != 2 || cases[0].Name == cases[1].Name {
		t.Fatalf("cases with the same name: %+v", cases)
	}
	for i, want := range []string{"generic-api-key services/api/app/.env [aaaaaaaa]", "generic-api-key services/api/app/.env [bbbbbbbb]"} {
		if cases[i].Name != want || cases[i].File != "services/api/app/.env" {
			t.Errorf("case %d: name %q file %q, want %q", i, cases[i].Name, cases[i].File, want)
		}
	}
}
