package report

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/schematest"
)

// sarifLog is the part of a SARIF log the tests look at.
type sarifLog struct {
	Version string `json:"version"`
	Schema  string `json:"$schema"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string      `json:"name"`
				Version        string      `json:"version"`
				InformationURI string      `json:"informationUri"`
				Rules          []sarifRule `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results     []sarifResult  `json:"results"`
		Properties  map[string]any `json:"properties"`
		Invocations []struct {
			ExecutionSuccessful        bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				Level   string `json:"level"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
	} `json:"runs"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRule struct {
	ID                   string     `json:"id"`
	ShortDescription     *sarifText `json:"shortDescription"`
	FullDescription      *sarifText `json:"fullDescription"`
	Help                 *sarifText `json:"help"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties struct {
		Tags             []string `json:"tags"`
		SecuritySeverity *string  `json:"security-severity"`
	} `json:"properties"`
}

type sarifResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Level     string `json:"level"`
	Message   struct {
		Text string `json:"text"`
	} `json:"message"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI       string `json:"uri"`
				URIBaseID string `json:"uriBaseId"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine int `json:"startLine"`
			} `json:"region"`
		} `json:"physicalLocation"`
	} `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	// Suppressions is nil when absent, empty for [].
	Suppressions *[]sarifSuppressionJSON `json:"suppressions"`
}

type sarifSuppressionJSON struct {
	Kind          string            `json:"kind"`
	Status        string            `json:"status"`
	Justification string            `json:"justification"`
	Properties    map[string]string `json:"properties"`
}

func parseSARIF(t testing.TB, out []byte) *sarifLog {
	t.Helper()
	var log sarifLog
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatalf("SARIF output is not JSON: %v", err)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	return &log
}

func TestSARIFValidatesAgainstOASISSchema(t *testing.T) {
	sch := schematest.SARIF(t, "..")

	odd := sampleDocument()
	odd.Findings[0].Location.Path = "dir with space/#weird?/go.mod"
	odd.Findings[1].Location.Path = "c:colon/100%/package-lock.json"
	odd.Findings[2].Location.Path = ""
	odd.Findings[3].Package.Ecosystem = ""
	odd.Findings[3].Vulnerability = nil
	odd.Findings[4].Severity = "bogus"

	tests := []struct {
		name string
		doc  *findings.Document
		opts Options
	}{
		{"sample", sampleDocument(), Options{}},
		{"empty", &findings.Document{SchemaVersion: findings.SchemaVersion}, Options{}},
		{"odd values", odd, Options{}},
		{"truncated", sampleDocument(), Options{MaxResults: 3}},
		{"waived without waiver", waivedWithoutWaiver(), Options{}},
		{"policy location", sampleDocument(), Options{PolicyLocation: ".github/secgate.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schematest.Validate(t, sch, render(t, FormatSARIF, tt.opts, tt.doc))
		})
	}

	// The validator is not lenient: what go-sarif writes for an unset
	// shortDescription, and for a suppression (null location and guid), and
	// a line 0, are rejected.
	out := string(render(t, FormatSARIF, Options{}, sampleDocument()))
	for _, bad := range []string{
		strings.Replace(out, `"startLine": 12`, `"startLine": 0`, 1),
		regexp.MustCompile(`"shortDescription": \{[^}]*\}`).ReplaceAllString(out, `"shortDescription": null`),
		strings.Replace(out, `"status": "accepted",`, `"status": "accepted", "location": null, "guid": null,`, 1),
	} {
		if bad == out {
			t.Fatal("test mutation did not apply")
		}
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(v) == nil {
			t.Error("invalid SARIF validates")
		}
	}
}

var securitySeverityRE = regexp.MustCompile(`^(10|[0-9])\.[0-9]$`)

func TestSARIFMapping(t *testing.T) {
	doc := sampleDocument()
	log := parseSARIF(t, render(t, FormatSARIF, Options{}, doc))
	run := log.Runs[0]

	if log.Version != "2.1.0" || log.Schema == "" {
		t.Errorf("version %q, $schema %q", log.Version, log.Schema)
	}
	d := run.Tool.Driver
	if d.Name != "secgate" || d.Version != "0.1.0-test" || d.InformationURI != "https://github.com/secgate/secgate" {
		t.Errorf("driver = %q %q %q", d.Name, d.Version, d.InformationURI)
	}

	// Rules: one per rule_id, sorted, complete.
	var ids []string
	rules := map[string]sarifRule{}
	for _, r := range d.Rules {
		ids = append(ids, r.ID)
		rules[r.ID] = r
		if r.ShortDescription == nil || r.ShortDescription.Text == "" {
			t.Errorf("rule %s: no shortDescription", r.ID)
		}
		if r.FullDescription == nil || r.FullDescription.Text == "" {
			t.Errorf("rule %s: no fullDescription", r.ID)
		}
		if r.Help == nil || r.Help.Text == "" || r.Help.Markdown == "" {
			t.Errorf("rule %s: help needs text and markdown", r.ID)
		}
		if r.ID == PolicyRuleID {
			continue
		}
		if !slices.Contains(r.Properties.Tags, "security") {
			t.Errorf("rule %s: tags %v lack security", r.ID, r.Properties.Tags)
		}
		if s := r.Properties.SecuritySeverity; s == nil || !securitySeverityRE.MatchString(*s) {
			t.Errorf("rule %s: security-severity %v", r.ID, s)
		}
	}
	wantIDs := []string{"ACME-001", "GHSA-0000-0000-0001", "GHSA-j8r2-6x86-q33q", "GHSA-jf85-cpcp-j695", "GHSA-jfh8-c2jp-5v3q", "GO-2021-0113", "aws-access-key-id", PolicyRuleID}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("rules %v, want %v", ids, wantIDs)
	}
	for id, want := range map[string]string{
		"GO-2021-0113":        "8.0", // max of CVSS 7.5 and high without CVSS
		"GHSA-0000-0000-0001": "8.0", // unknown counts as high
		"GHSA-j8r2-6x86-q33q": "5.5",
		"aws-access-key-id":   "9.5",
	} {
		if got := rules[id].Properties.SecuritySeverity; got == nil || *got != want {
			t.Errorf("rule %s: security-severity %v, want %s", id, got, want)
		}
	}
	help := rules["GO-2021-0113"].Help
	for _, want := range []string{"0.3.5", "0.3.6", "0.3.7", "CVE-2021-38561", "GHSA-ppp9-7jff-5vj2", "<https://go.dev/cl/340830>"} {
		if !strings.Contains(help.Markdown, want) {
			t.Errorf("GO-2021-0113 help markdown lacks %q:\n%s", want, help.Markdown)
		}
	}
	if !slices.Contains(rules["GO-2021-0113"].Properties.Tags, "Go") {
		t.Errorf("GO-2021-0113 tags %v lack the ecosystem", rules["GO-2021-0113"].Properties.Tags)
	}

	// Results: one per finding plus the three policy results without ID.
	if got, want := len(run.Results), len(doc.Findings)+3; got != want {
		t.Fatalf("%d results, want %d", got, want)
	}
	byMsg := map[string]sarifResult{}
	for i, r := range run.Results {
		if r.RuleIndex == nil || *r.RuleIndex >= len(d.Rules) || d.Rules[*r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %d: ruleIndex %v does not point at rule %s", i, r.RuleIndex, r.RuleID)
		}
		if len(r.Locations) != 1 {
			t.Fatalf("result %d: %d locations", i, len(r.Locations))
		}
		loc := r.Locations[0].PhysicalLocation
		if loc.Region.StartLine < 1 || loc.ArtifactLocation.URI == "" || strings.HasPrefix(loc.ArtifactLocation.URI, "/") || loc.ArtifactLocation.URIBaseID != "%SRCROOT%" {
			t.Errorf("result %d: location %+v", i, loc)
		}
		if fp := r.PartialFingerprints[FingerprintKey]; fp == "" || r.PartialFingerprints["primaryLocationLineHash"] != fp {
			t.Errorf("result %d: partialFingerprints %v", i, r.PartialFingerprints)
		}
		byMsg[strings.SplitN(r.Message.Text, " ", 2)[0]] = r
	}

	text := byMsg["golang.org/x/text@0.3.5"]
	if want := "golang.org/x/text@0.3.5 is affected by GO-2021-0113 (high, CVSS 7.5). Fixed in 0.3.7. Reachability: called: storefront.main → storefront.negotiate → language.Parse. Policy secgate.vulnerabilities (deny): GO-2021-0113 (high) in golang.org/x/text@0.3.5 has a fix: upgrade to 0.3.7"; text.Message.Text != want {
		t.Errorf("message %q\nwant    %q", text.Message.Text, want)
	}
	if text.Level != "error" || text.PartialFingerprints[FingerprintKey] != doc.Findings[0].ID && text.PartialFingerprints[FingerprintKey] != doc.Findings[1].ID {
		t.Errorf("deny finding: level %q, fingerprints %v", text.Level, text.PartialFingerprints)
	}
	if l := text.Locations[0].PhysicalLocation; l.ArtifactLocation.URI != "go.mod" || l.Region.StartLine != 12 {
		t.Errorf("location %+v", l)
	}
	leftpad := byMsg["left-pad@1.0.0"]
	if leftpad.Level != "warning" || !strings.Contains(leftpad.Message.Text, "No fix is available.") || leftpad.Locations[0].PhysicalLocation.Region.StartLine != 1 {
		t.Errorf("left-pad result %+v", leftpad)
	}
	if r := byMsg["requests@2.25.0"]; r.Level != "note" {
		t.Errorf("allowed finding has level %q", r.Level)
	}

	var policy []sarifResult
	for _, r := range run.Results {
		if r.RuleID == PolicyRuleID {
			policy = append(policy, r)
		}
	}
	if len(policy) != 2 || policy[0].Level != "error" || policy[1].Level != "warning" {
		t.Fatalf("policy results %+v", policy)
	}
	if got := policy[0].Message.Text; got != "3 findings are denied; at most 0 are allowed (policy secgate.limits)" {
		t.Errorf("policy message %q", got)
	}
	if uri := policy[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != ".secgate.yaml" {
		t.Errorf("policy result location %q", uri)
	}
	if run.Properties != nil || run.Invocations != nil {
		t.Errorf("untruncated run has properties %v, invocations %v", run.Properties, run.Invocations)
	}
}

func TestSARIFFingerprintSurvivesLineMove(t *testing.T) {
	fingerprints := func(doc *findings.Document) []string {
		var fps []string
		for _, r := range parseSARIF(t, render(t, FormatSARIF, Options{}, doc)).Runs[0].Results {
			fps = append(fps, r.PartialFingerprints[FingerprintKey])
		}
		slices.Sort(fps)
		return fps
	}
	moved := sampleDocument()
	for i := range moved.Findings {
		moved.Findings[i].Location.Line += 40
	}
	if a, b := fingerprints(sampleDocument()), fingerprints(moved); !slices.Equal(a, b) {
		t.Errorf("fingerprints changed with the lines:\n%v\n%v", a, b)
	}
	if fps := fingerprints(sampleDocument()); len(slices.Compact(slices.Clone(fps))) != len(fps) {
		t.Errorf("duplicate fingerprints: %v", fps)
	}
}

func TestSARIFPolicyLocationAndOrphans(t *testing.T) {
	doc := sampleDocument()
	// A deny about a finding that is not in the document is still reported.
	doc.Decision.Deny = append(doc.Decision.Deny, findings.PolicyResult{Msg: "stale", ID: "0123456789abcdef0123456789abcdef", Policy: "p"})
	log := parseSARIF(t, render(t, FormatSARIF, Options{PolicyLocation: ".github/secgate.yaml"}, doc))
	n := 0
	for _, r := range log.Runs[0].Results {
		if r.RuleID != PolicyRuleID {
			continue
		}
		n++
		if uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != ".github/secgate.yaml" {
			t.Errorf("policy result at %q", uri)
		}
	}
	if n != 3 {
		t.Errorf("%d policy results, want 3", n)
	}
}

func TestSecuritySeverity(t *testing.T) {
	tests := []struct {
		sev  findings.Severity
		cvss *findings.CVSS
		want string
	}{
		{findings.SeverityCritical, nil, "9.5"},
		{findings.SeverityHigh, nil, "8.0"},
		{findings.SeverityMedium, nil, "5.5"},
		{findings.SeverityLow, nil, "2.0"},
		{findings.SeverityUnknown, nil, "8.0"},
		{"", nil, "8.0"},
		{findings.SeverityLow, &findings.CVSS{Score: 9.8}, "9.8"},
		{findings.SeverityHigh, &findings.CVSS{Score: 7}, "7.0"},
		{findings.SeverityMedium, &findings.CVSS{Score: 0}, "5.5"}, // no score
		{findings.SeverityCritical, &findings.CVSS{Score: 10}, "10.0"},
	}
	for _, tt := range tests {
		f := findings.Finding{Severity: tt.sev, CVSS: tt.cvss}
		if got := fmt.Sprintf("%.1f", securitySeverity(f)); got != tt.want {
			t.Errorf("securitySeverity(%q, %+v) = %s, want %s", tt.sev, tt.cvss, got, tt.want)
		}
	}
}

func TestSARIFLevels(t *testing.T) {
	for decision, want := range map[string]string{"deny": "error", "warn": "warning", "waived": "note", "allow": "note", "": "note"} {
		if got := sarifLevel(decision); got != want {
			t.Errorf("sarifLevel(%q) = %q, want %q", decision, got, want)
		}
	}
}

// TestSARIFTruncation: 25,010 findings give exactly GitHub's 25,000
// results, the denied ones are kept and the truncation is reported.
func TestSARIFTruncation(t *testing.T) {
	const n = 25010
	doc := &findings.Document{SchemaVersion: findings.SchemaVersion, Tool: findings.Tool{Name: "secgate", Version: "test"}, Decision: &findings.Decision{Result: findings.ResultFail}}
	sevs := []findings.Severity{findings.SeverityLow, findings.SeverityMedium, findings.SeverityHigh}
	var denied []string
	for i := range n {
		f := findings.Finding{
			ID:       findings.Fingerprint("t", fmt.Sprint(i)),
			Kind:     findings.KindSecret,
			Scanner:  findings.ScannerSecrets,
			RuleID:   fmt.Sprintf("rule-%d", i%7),
			Title:    "t",
			Severity: sevs[i%3],
			Location: findings.Location{Path: fmt.Sprintf("f/%05d.txt", i), Line: 1},
			Decision: findings.DecisionAllow,
		}
		if i%2500 == 2499 { // 10 denied, spread over the order, all low
			f.Decision, f.Severity = findings.DecisionDeny, findings.SeverityLow
			denied = append(denied, f.ID)
			doc.Decision.Deny = append(doc.Decision.Deny, findings.PolicyResult{Msg: "no", ID: f.ID})
		}
		doc.Findings = append(doc.Findings, f)
	}
	var warnings []string
	out := render(t, FormatSARIF, Options{Warn: func(m string) { warnings = append(warnings, m) }}, doc)
	run := parseSARIF(t, out).Runs[0]

	if len(run.Results) != DefaultMaxSARIFResults {
		t.Fatalf("%d results, want %d", len(run.Results), DefaultMaxSARIFResults)
	}
	kept := map[string]bool{}
	lows := 0
	for _, r := range run.Results {
		kept[r.PartialFingerprints[FingerprintKey]] = true
		if r.Level == "note" && strings.Contains(r.Message.Text, "(rule-") && strings.Contains(r.Message.Text, ", low)") {
			lows++
		}
	}
	for _, id := range denied {
		if !kept[id] {
			t.Errorf("denied finding %s was dropped", id)
		}
	}
	// The 10 dropped are low-severity allowed findings.
	want := -10
	for _, f := range doc.Findings {
		if f.Decision == findings.DecisionAllow && f.Severity == findings.SeverityLow {
			want++
		}
	}
	if lows != want {
		t.Errorf("%d low allowed results kept, want %d", lows, want)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "25010") || !strings.Contains(warnings[0], "10 note") {
		t.Errorf("warnings %q", warnings)
	}
	if run.Properties["truncated"] != true || run.Properties["omittedResults"] != float64(10) || run.Properties["totalResults"] != float64(n) {
		t.Errorf("run.properties %v", run.Properties)
	}
	if len(run.Invocations) != 1 || len(run.Invocations[0].ToolExecutionNotifications) != 1 || run.Invocations[0].ToolExecutionNotifications[0].Level != "warning" {
		t.Errorf("invocations %+v", run.Invocations)
	}
	// Results stay in output order.
	if !slices.IsSortedFunc(run.Results, func(a, b sarifResult) int {
		return strings.Compare(a.Locations[0].PhysicalLocation.ArtifactLocation.URI, b.Locations[0].PhysicalLocation.ArtifactLocation.URI)
	}) {
		t.Error("kept results are not in output order")
	}
}

func TestSARIFMaxResultsOption(t *testing.T) {
	doc := sampleDocument()
	if got := len(parseSARIF(t, render(t, FormatSARIF, Options{MaxResults: -1}, doc)).Runs[0].Results); got != 10 {
		t.Errorf("no cap: %d results", got)
	}
	run := parseSARIF(t, render(t, FormatSARIF, Options{MaxResults: 3}, doc)).Runs[0]
	var levels []string
	for _, r := range run.Results {
		levels = append(levels, r.RuleID+":"+r.Level)
	}
	// The two policy denials about the document first, then the most
	// severe finding (Log4Shell, CVSS 10.0), in output order.
	want := []string{"GHSA-jfh8-c2jp-5v3q:error", "ACME-001:error", "secgate-policy:error"}
	if !slices.Equal(levels, want) {
		t.Errorf("kept %v, want %v", levels, want)
	}
}

// SARIF URIs are the finding's file relative to the report root: its
// target's directory joined with its path; a target does not change the
// fingerprint.
func TestSARIFTargets(t *testing.T) {
	tests := []struct {
		target, kind, path, want string
	}{
		{"", "", "go.mod", "go.mod"},
		{".", findings.TargetDirectory, "go.mod", "go.mod"},
		{"services/api", findings.TargetDirectory, "go.mod", "services/api/go.mod"},
		{"services/api", findings.TargetDirectory, "web/package-lock.json", "services/api/web/package-lock.json"},
		{"app/requirements.txt", findings.TargetFile, "base.txt", "app/base.txt"},
	}
	for _, tt := range tests {
		doc := &findings.Document{
			Scans: []findings.Scan{{Scanner: findings.ScannerSecrets, Target: tt.target, Kind: tt.kind}},
			Findings: []findings.Finding{{
				ID: findings.Fingerprint("p"), Kind: findings.KindSecret, Scanner: findings.ScannerSecrets,
				RuleID: "r", Severity: findings.SeverityLow, Location: findings.Location{Target: tt.target, Path: tt.path},
			}},
		}
		run := parseSARIF(t, render(t, FormatSARIF, Options{}, doc)).Runs[0]
		if got := run.Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; got != tt.want {
			t.Errorf("target %q, path %q: uri %q, want %q", tt.target, tt.path, got, tt.want)
		}
		if got := run.Results[0].PartialFingerprints[FingerprintKey]; got != doc.Findings[0].ID {
			t.Errorf("target changed the fingerprint: %q", got)
		}
	}
}

// waivedWithoutWaiver is the sample document with its waived finding's
// waiver removed (a hand-built or older document).
func waivedWithoutWaiver() *findings.Document {
	doc := sampleDocument()
	for i := range doc.Findings {
		doc.Findings[i].Waiver = nil
	}
	return doc
}

// resultFor returns the result whose fingerprint is the finding's ID.
func resultFor(t *testing.T, run []sarifResult, id string) sarifResult {
	t.Helper()
	for _, r := range run {
		if r.PartialFingerprints[FingerprintKey] == id {
			return r
		}
	}
	t.Fatalf("no result for finding %s", id)
	return sarifResult{}
}

func TestSARIFWaivedSuppression(t *testing.T) {
	doc := sampleDocument()
	var waived findings.Finding
	for _, f := range doc.Findings {
		if f.Decision == findings.DecisionWaived {
			waived = f
		}
	}
	if waived.Waiver == nil {
		t.Fatal("the sample has no waived finding with a waiver")
	}
	results := parseSARIF(t, render(t, FormatSARIF, Options{}, doc)).Runs[0].Results

	r := resultFor(t, results, waived.ID)
	if r.Level != "note" {
		t.Errorf("waived result level %q, want note", r.Level)
	}
	if r.RuleID != waived.RuleID {
		t.Errorf("waived result rule %q, want the finding's %q", r.RuleID, waived.RuleID)
	}
	if r.Suppressions == nil || len(*r.Suppressions) != 1 {
		t.Fatalf("waived result suppressions %v, want one", r.Suppressions)
	}
	want := sarifSuppressionJSON{
		Kind: "external", Status: "accepted", Justification: waived.Waiver.Reason,
		Properties: map[string]string{"expires": waived.Waiver.Expires, "owner": waived.Waiver.Owner},
	}
	if got := (*r.Suppressions)[0]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("suppression %+v\nwant        %+v", got, want)
	}
	for _, s := range []string{"(waived): GHSA-jf85-cpcp-j695 (critical)", "Waived: " + waived.Waiver.Reason, "until 2026-06-30", "owner web-team@example.com"} {
		if !strings.Contains(r.Message.Text, s) {
			t.Errorf("waived result message lacks %q: %s", s, r.Message.Text)
		}
	}
	// SARIF §3.27.23: all results of the run have suppressions, [] when not
	// suppressed.
	for i, r := range results {
		if r.Suppressions == nil {
			t.Errorf("result %d (%s) has no suppressions property", i, r.RuleID)
		} else if r.PartialFingerprints[FingerprintKey] != waived.ID && len(*r.Suppressions) != 0 {
			t.Errorf("result %d (%s) is suppressed: %+v", i, r.RuleID, *r.Suppressions)
		}
	}

	// Without a waived finding, no result has the property.
	doc.Findings = slices.DeleteFunc(doc.Findings, func(f findings.Finding) bool { return f.Decision == findings.DecisionWaived })
	out := render(t, FormatSARIF, Options{}, doc)
	if strings.Contains(string(out), `"suppressions"`) {
		t.Errorf("suppressions without a waived finding:\n%s", out)
	}
	// Nor when truncation drops the waived one.
	if out := render(t, FormatSARIF, Options{MaxResults: 3}, sampleDocument()); strings.Contains(string(out), `"suppressions"`) {
		t.Errorf("suppressions although the waived result was dropped:\n%s", out)
	}

	// A waived finding without its waiver is still suppressed, with a
	// generic justification; go-sarif's nulls never appear.
	out = render(t, FormatSARIF, Options{}, waivedWithoutWaiver())
	r = resultFor(t, parseSARIF(t, out).Runs[0].Results, waived.ID)
	if r.Suppressions == nil || len(*r.Suppressions) != 1 || (*r.Suppressions)[0].Justification == "" || (*r.Suppressions)[0].Properties != nil {
		t.Errorf("suppression without waiver: %+v", r.Suppressions)
	}
	if strings.Contains(string(out), "null") {
		t.Errorf("SARIF output contains null:\n%s", out)
	}
}

func TestSARIFPolicyRuleFromMetadata(t *testing.T) {
	log := parseSARIF(t, render(t, FormatSARIF, Options{}, sampleDocument()))
	run := log.Runs[0]
	var rule *sarifRule
	for i := range run.Tool.Driver.Rules {
		if run.Tool.Driver.Rules[i].ID == "ACME-001" {
			rule = &run.Tool.Driver.Rules[i]
		}
	}
	if rule == nil {
		t.Fatalf("no rule ACME-001 in %+v", run.Tool.Driver.Rules)
	}
	if rule.ShortDescription.Text != "Secret scanning must cover the git history" ||
		!strings.HasPrefix(rule.FullDescription.Text, "Credentials committed and later removed") {
		t.Errorf("descriptions %q / %q", rule.ShortDescription.Text, rule.FullDescription.Text)
	}
	for _, help := range []string{rule.Help.Text, rule.Help.Markdown} {
		for _, want := range []string{"Run secgate scan with --history.", "Credentials committed"} {
			if !strings.Contains(help, want) {
				t.Errorf("help lacks %q:\n%s", want, help)
			}
		}
	}
	if !slices.Equal(rule.Properties.Tags, []string{"security", "policy"}) {
		t.Errorf("tags %v", rule.Properties.Tags)
	}
	if s := rule.Properties.SecuritySeverity; s == nil || *s != "8.0" || rule.DefaultConfiguration.Level != "error" {
		t.Errorf("security-severity %v, level %q", s, rule.DefaultConfiguration.Level)
	}
	var res *sarifResult
	for i := range run.Results {
		if run.Results[i].RuleID == "ACME-001" {
			res = &run.Results[i]
		}
	}
	if res == nil {
		t.Fatal("no result of rule ACME-001")
	}
	if want := "the secret scan did not cover the git history (policy acme.coverage). Remediation: Run secgate scan with --history."; res.Message.Text != want || res.Level != "error" {
		t.Errorf("result %q (%s), want %q", res.Message.Text, res.Level, want)
	}
	// It points at its rule, in the repository's policy file.
	if pl := res.Locations[0].PhysicalLocation; pl.ArtifactLocation.URI != "policies/coverage.rego" || pl.Region.StartLine != 9 {
		t.Errorf("location %+v, want policies/coverage.rego:9", pl)
	}
	// The fingerprint does not depend on the metadata.
	if want := findings.Fingerprint(PolicyRuleID, "deny", "acme.coverage", "the secret scan did not cover the git history", ""); res.PartialFingerprints[FingerprintKey] != want {
		t.Errorf("fingerprint %v, want %s", res.PartialFingerprints, want)
	}
}

func TestSARIFPolicyRuleSeverities(t *testing.T) {
	tests := []struct {
		severity, level string // level "" for a warn result
		wantScore       string // "" for none
		wantLevel       string
	}{
		{"critical", "deny", "9.5", "error"},
		{"high", "warn", "8.0", "error"},
		{"HIGH", "deny", "8.0", "error"},
		{" medium ", "deny", "5.5", "warning"},
		{"low", "deny", "2.0", "note"},
		{"", "deny", "", "error"},
		{"", "warn", "", "warning"},
		{"unknown", "warn", "", "warning"},
		{"bogus", "deny", "", "error"},
	}
	sch := schematest.SARIF(t, "..")
	for _, tt := range tests {
		r := findings.PolicyResult{Msg: "m", Policy: "p", Rule: &findings.RuleMeta{ID: "P-1", Severity: tt.severity}}
		d := &findings.Decision{Result: findings.ResultPass}
		if tt.level == "deny" {
			d.Result, d.Deny = findings.ResultFail, []findings.PolicyResult{r}
		} else {
			d.Warn = []findings.PolicyResult{r}
		}
		out := render(t, FormatSARIF, Options{}, &findings.Document{SchemaVersion: findings.SchemaVersion, Decision: d})
		schematest.Validate(t, sch, out)
		rules := parseSARIF(t, out).Runs[0].Tool.Driver.Rules
		if len(rules) != 1 || rules[0].ID != "P-1" {
			t.Fatalf("%q: rules %+v", tt.severity, rules)
		}
		got := ""
		if s := rules[0].Properties.SecuritySeverity; s != nil {
			got = *s
		}
		if got != tt.wantScore || rules[0].DefaultConfiguration.Level != tt.wantLevel {
			t.Errorf("severity %q (%s): security-severity %q, level %q; want %q, %q", tt.severity, tt.level, got, rules[0].DefaultConfiguration.Level, tt.wantScore, tt.wantLevel)
		}
		// Without title or description the id describes the rule.
		if rules[0].ShortDescription.Text != "P-1" || rules[0].FullDescription.Text != "P-1" || rules[0].Help.Text == "" {
			t.Errorf("descriptions of a rule with only an id: %+v", rules[0])
		}
	}
}

func TestSARIFPolicyRuleIDs(t *testing.T) {
	meta := func(id string) *findings.RuleMeta {
		return &findings.RuleMeta{ID: id, Title: "title of " + id, Remediation: "fix it"}
	}
	doc := sampleDocument()
	doc.Decision.Deny = append(doc.Decision.Deny,
		// Two results of one rule, the second with its own copy of the
		// metadata, and an exact duplicate of the first: one rule, two
		// results.
		findings.PolicyResult{Msg: "a", Policy: "p", Rule: meta("P-1")},
		findings.PolicyResult{Msg: "b", Policy: "p", Rule: meta("P-1")},
		findings.PolicyResult{Msg: "a", Policy: "p", Rule: meta("P-1")},
		// Ids that would clash with a finding's rule or with the generic
		// policy rule, and metadata without id: the generic rule.
		findings.PolicyResult{Msg: "c", Policy: "p", Rule: meta("aws-access-key-id")},
		findings.PolicyResult{Msg: "d", Policy: "p", Rule: meta(PolicyRuleID)},
		findings.PolicyResult{Msg: "e", Policy: "p", Rule: &findings.RuleMeta{Title: "no id", Remediation: "fix it"}},
	)
	run := parseSARIF(t, render(t, FormatSARIF, Options{}, doc)).Runs[0]
	byMsg := map[string]sarifResult{}
	for _, r := range run.Results {
		byMsg[r.Message.Text] = r
	}
	for msg, want := range map[string]string{
		"a (policy p). Remediation: fix it": "P-1",
		"b (policy p). Remediation: fix it": "P-1",
		"c (policy p). Remediation: fix it": PolicyRuleID,
		"d (policy p). Remediation: fix it": PolicyRuleID,
		"e (policy p). Remediation: fix it": PolicyRuleID,
	} {
		r, ok := byMsg[msg]
		if !ok {
			t.Errorf("no result %q", msg)
			continue
		}
		if r.RuleID != want || run.Tool.Driver.Rules[*r.RuleIndex].ID != want {
			t.Errorf("%q: rule %q (index %d), want %q", msg, r.RuleID, *r.RuleIndex, want)
		}
	}
	n := 0
	for _, r := range run.Results {
		if strings.HasPrefix(r.Message.Text, "a (policy p)") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d results for the duplicated policy result, want 1", n)
	}
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		ids = append(ids, r.ID)
	}
	if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) || !slices.Contains(ids, "P-1") {
		t.Errorf("rules %v", ids)
	}
	// Results about a finding keep the finding's rule; their messages get
	// the remediation.
	doc = sampleDocument()
	doc.Decision.Deny[0].Rule = meta("VULN-1")
	run = parseSARIF(t, render(t, FormatSARIF, Options{}, doc)).Runs[0]
	r := resultFor(t, run.Results, doc.Decision.Deny[0].ID)
	if r.RuleID != "GO-2021-0113" || !strings.HasSuffix(r.Message.Text, "upgrade to 0.3.7. Remediation: fix it") {
		t.Errorf("finding result %s: %q", r.RuleID, r.Message.Text)
	}
	for _, rule := range run.Tool.Driver.Rules {
		if rule.ID == "VULN-1" {
			t.Error("a rule was made for metadata of a result about a finding")
		}
	}
}

// A rule whose advisory is in CISA KEV carries the entry and the EPSS score
// in its properties, and its help says so; others carry neither.
func TestSARIFExploitProperties(t *testing.T) {
	out := render(t, FormatSARIF, Options{}, sampleDocument())
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID         string                `json:"id"`
						Help       struct{ Text string } `json:"help"`
						Properties map[string]any        `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range log.Runs[0].Tool.Driver.Rules {
		p := r.Properties
		if r.ID != "GHSA-jfh8-c2jp-5v3q" {
			if _, ok := p["kev"]; ok {
				t.Errorf("rule %s: kev %v", r.ID, p["kev"])
			}
			if _, ok := p["epss"]; ok {
				t.Errorf("rule %s: epss %v", r.ID, p["epss"])
			}
			continue
		}
		found = true
		want := map[string]any{
			"kev": true, "kev-cve": "CVE-2021-44228", "kev-date-added": "2021-12-10", "kev-due-date": "2021-12-24", "kev-known-ransomware": true,
			"epss": 0.99999, "epss-percentile": 1.0, "epss-date": "2026-09-29", "epss-cve": "CVE-2021-44228",
		}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("property %s = %v, want %v", k, p[k], v)
			}
		}
		if !strings.Contains(r.Help.Text, "Known exploited: CVE-2021-44228 is in CISA's Known Exploited Vulnerabilities catalog since 2021-12-10 (remediation due 2021-12-24; known to be used in ransomware campaigns).") ||
			!strings.Contains(r.Help.Text, "EPSS: CVE-2021-44228 scores 0.99999 (percentile 1) on 2026-09-29") {
			t.Errorf("help:\n%s", r.Help.Text)
		}
	}
	if !found {
		t.Error("no rule for GHSA-jfh8-c2jp-5v3q")
	}
}
