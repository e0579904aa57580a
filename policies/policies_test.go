package policies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/secgate/secgate/findings"
)

// newTestEngine compiles the default policies plus extra modules.
func newTestEngine(t *testing.T, opts Options, extra map[string]string) (*Engine, error) {
	t.Helper()
	modules, err := defaultModules()
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(modules, extra)
	return newEngine(context.Background(), opts, modules)
}

func mustEngine(t *testing.T, opts Options, extra map[string]string) *Engine {
	t.Helper()
	e, err := newTestEngine(t, opts, extra)
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	return e
}

func vuln(id string, sev findings.Severity) findings.Finding {
	return findings.Finding{
		ID:       id,
		Kind:     findings.KindVulnerability,
		Scanner:  findings.ScannerDeps,
		RuleID:   "GO-2021-0113",
		Title:    "Out-of-bounds read in golang.org/x/text/language",
		Severity: sev,
		Location: findings.Location{Path: "go.mod", Line: 5},
		Package:  &findings.Package{Name: "golang.org/x/text", Version: "0.3.5", Ecosystem: "Go"},
		Vulnerability: &findings.Vulnerability{
			ID:            "GO-2021-0113",
			Aliases:       []string{"CVE-2021-38561"},
			FixedVersions: []string{"0.3.7"},
			References:    []string{"https://pkg.go.dev/vuln/GO-2021-0113"},
		},
	}
}

func secret(id string) findings.Finding {
	return findings.Finding{
		ID: id, Kind: findings.KindSecret, Scanner: findings.ScannerSecrets,
		RuleID: "aws-access-token", Title: "AWS access key ID", Severity: findings.SeverityHigh,
		Location: findings.Location{Path: "config/prod.env", Line: 3},
		Secret:   &findings.Secret{Redacted: "AKIA…", Confidence: "high", Fingerprint: "0123456789abcdef0123456789abcdef"},
	}
}

func misconf(id string, sev findings.Severity) findings.Finding {
	return findings.Finding{
		ID: id, Kind: findings.KindMisconfiguration, Scanner: findings.ScannerContainer,
		RuleID: "DS002", Title: "Image runs as root", Severity: sev,
		Location: findings.Location{Path: "Dockerfile"},
	}
}

func document(fs ...findings.Finding) *findings.Document {
	return &findings.Document{
		SchemaVersion: findings.SchemaVersion,
		Tool:          findings.Tool{Name: "secgate", Version: "test"},
		Scans:         []findings.Scan{{Scanner: findings.ScannerDeps, Target: ".", Stats: map[string]int{"packages": 12}}},
		Findings:      fs,
	}
}

func decisions(doc *findings.Document) map[string]string {
	m := map[string]string{}
	for _, f := range doc.Findings {
		m[f.ID] = f.Decision
	}
	return m
}

func config(kv ...string) Options {
	cfg := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	return Options{Data: map[string]any{"secgate": map[string]any{"config": cfg}}}
}

func TestNewDiscoversDefaultPolicies(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []policyRules{
		{name: "secgate.misconfigurations", denyVar: "deny0", warnVar: "warn0"},
		{name: "secgate.secrets", denyVar: "deny1", warnVar: "warn1"},
		{name: "secgate.vulnerabilities", denyVar: "deny2", warnVar: "warn2"},
		{name: "secgate.waivers", warnVar: "warn3"},
	}
	got := slices.Clone(e.policies)
	for i := range got {
		if p := "data." + got[i].name; got[i].path.String() != p {
			t.Errorf("path = %v, want %s", got[i].path, p)
		}
		got[i].path = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("policies = %+v, want %+v", got, want)
	}
	q := queryBody(e.policies).String()
	if wantQ := "assign(deny0, data.secgate.misconfigurations.deny); assign(warn0, data.secgate.misconfigurations.warn); " +
		"assign(deny1, data.secgate.secrets.deny); assign(warn1, data.secgate.secrets.warn); assign(deny2, data.secgate.vulnerabilities.deny); assign(warn2, data.secgate.vulnerabilities.warn); " +
		"assign(warn3, data.secgate.waivers.warn)"; q != wantQ {
		t.Errorf("query = %s\nwant %s", q, wantQ)
	}
	if e.timeout != DefaultTimeout {
		t.Errorf("timeout = %v, want %v", e.timeout, DefaultTimeout)
	}
}

func TestDecideThresholds(t *testing.T) {
	all := func() *findings.Document {
		return document(
			vuln("c", findings.SeverityCritical),
			vuln("h", findings.SeverityHigh),
			vuln("m", findings.SeverityMedium),
			vuln("l", findings.SeverityLow),
			vuln("u", findings.SeverityUnknown),
		)
	}
	const D, W = findings.DecisionDeny, findings.DecisionWarn
	tests := []struct {
		name string
		opts Options
		want map[string]string
	}{
		{"default is high", Options{}, map[string]string{"c": D, "h": D, "m": W, "l": W, "u": D}},
		{"critical", config("fail_on", "critical"), map[string]string{"c": D, "h": W, "m": W, "l": W, "u": D}},
		{"high", config("fail_on", "high"), map[string]string{"c": D, "h": D, "m": W, "l": W, "u": D}},
		{"medium", config("fail_on", "medium"), map[string]string{"c": D, "h": D, "m": D, "l": W, "u": D}},
		{"low", config("fail_on", "low"), map[string]string{"c": D, "h": D, "m": D, "l": D, "u": D}},
		{"unknown deny", config("unknown_severity", "deny"), map[string]string{"c": D, "h": D, "m": W, "l": W, "u": D}},
		{"unknown warn", config("unknown_severity", "warn"), map[string]string{"c": D, "h": D, "m": W, "l": W, "u": W}},
		{"critical and unknown warn", config("fail_on", "critical", "unknown_severity", "warn"),
			map[string]string{"c": D, "h": W, "m": W, "l": W, "u": W}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustEngine(t, tt.opts, nil)
			doc := all()
			dec, err := decideAndApply(e, doc)
			if err != nil {
				t.Fatal(err)
			}
			if got := decisions(doc); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decisions = %v, want %v", got, tt.want)
			}
			if dec.Result != findings.ResultFail {
				t.Errorf("result = %q, want fail", dec.Result)
			}
			if doc.Decision == nil || !reflect.DeepEqual(*doc.Decision, dec.Decision) {
				t.Error("Apply did not record the decision")
			}
		})
	}
}

func TestDecideUnknownSeverityAlone(t *testing.T) {
	tests := []struct {
		opts       Options
		wantResult string
		wantDec    string
	}{
		{Options{}, findings.ResultFail, findings.DecisionDeny},
		{config("unknown_severity", "warn"), findings.ResultPass, findings.DecisionWarn},
	}
	for _, tt := range tests {
		e := mustEngine(t, tt.opts, nil)
		doc := document(vuln("u", findings.SeverityUnknown))
		dec, err := decideAndApply(e, doc)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Result != tt.wantResult || doc.Findings[0].Decision != tt.wantDec {
			t.Errorf("%v: result %q, decision %q; want %q, %q", tt.opts.Data, dec.Result, doc.Findings[0].Decision, tt.wantResult, tt.wantDec)
		}
	}
}

func TestDecideFullDecision(t *testing.T) {
	e := mustEngine(t, Options{}, nil)
	noFix := vuln("v2", findings.SeverityCritical)
	noFix.Vulnerability.FixedVersions = nil
	noFix.Location.Line = 0
	doc := document(
		vuln("v1", findings.SeverityMedium),
		noFix,
		secret("s1"),
		misconf("m1", findings.SeverityHigh),
		misconf("m2", findings.SeverityLow),
		findings.Finding{ID: "x1", Kind: "license", Scanner: "deps", RuleID: "GPL", Severity: findings.SeverityHigh},
	)
	dec, err := decideAndApply(e, doc)
	if err != nil {
		t.Fatal(err)
	}
	want := &findings.Decision{
		Waived: []findings.PolicyResult{},
		Result: findings.ResultFail,
		Deny: []findings.PolicyResult{
			{Policy: "secgate.misconfigurations", ID: "m1", Msg: "DS002 (high) at Dockerfile: Image runs as root"},
			{Policy: "secgate.secrets", ID: "s1", Msg: "secret (aws-access-token, high confidence) at config/prod.env:3: remove it from the source and rotate it"},
			{Policy: "secgate.vulnerabilities", ID: "v2", Msg: "GO-2021-0113 (critical) in golang.org/x/text@0.3.5 (go.mod): no fix available"},
		},
		Warn: []findings.PolicyResult{
			{Policy: "secgate.misconfigurations", ID: "m2", Msg: "DS002 (low) at Dockerfile: Image runs as root"},
			{Policy: "secgate.vulnerabilities", ID: "v1", Msg: "GO-2021-0113 (medium) in golang.org/x/text@0.3.5 (go.mod:5): fixed in 0.3.7"},
		},
	}
	if !reflect.DeepEqual(&dec.Decision, want) {
		got, _ := json.MarshalIndent(dec, "", "  ")
		t.Errorf("decision:\n%s", got)
	}
	wantDecisions := map[string]string{"v1": "warn", "v2": "deny", "s1": "deny", "m1": "deny", "m2": "warn", "x1": "allow"}
	if got := decisions(doc); !reflect.DeepEqual(got, wantDecisions) {
		t.Errorf("decisions = %v, want %v", got, wantDecisions)
	}
}

// TestDecidePerFindingDecisions uses a custom policy to check how results map
// to findings: deny beats warn, results without an id mark no finding.
func TestDecidePerFindingDecisions(t *testing.T) {
	e := mustEngine(t, Options{}, map[string]string{"custom.rego": `package secgate.custom

deny contains {"id": "both", "msg": "denied"} if true

warn contains {"id": id, "msg": "warned"} if some id in ["both", "warned"]

warn contains {"msg": "about the whole document"} if true
`})
	other := func(id string) findings.Finding {
		return findings.Finding{ID: id, Kind: "other", Scanner: "deps", RuleID: "R", Severity: findings.SeverityLow}
	}
	doc := document(other("both"), other("warned"), other("none"))
	dec, err := decideAndApply(e, doc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"both": "deny", "warned": "warn", "none": "allow"}
	if got := decisions(doc); !reflect.DeepEqual(got, want) {
		t.Errorf("decisions = %v, want %v", got, want)
	}
	if dec.Result != findings.ResultFail || len(dec.Deny) != 1 || len(dec.Warn) != 3 {
		t.Errorf("decision = %+v", dec)
	}
	if dec.Warn[0].ID != "" || dec.Warn[0].Msg != "about the whole document" {
		t.Errorf("first warn = %+v, want the id-less one first", dec.Warn[0])
	}
}

func TestDecideDeterministic(t *testing.T) {
	e := mustEngine(t, Options{}, nil)
	var fs []findings.Finding
	sevs := findings.Severities
	for i := range 200 {
		var f findings.Finding
		switch i % 3 {
		case 0:
			f = vuln("", sevs[i%len(sevs)])
		case 1:
			f = secret("")
		default:
			f = misconf("", sevs[i%len(sevs)])
		}
		f.ID = findings.Fingerprint("f", string(rune('a'+i%26)), string(rune(i)))
		f.Location.Line = i + 1
		fs = append(fs, f)
	}
	var first []byte
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5 {
		shuffled := slices.Clone(fs)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		dec, err := e.Decide(context.Background(), document(shuffled...))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(dec)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
			for _, rs := range [][]findings.PolicyResult{dec.Deny, dec.Warn} {
				if !slices.IsSortedFunc(rs, func(a, b findings.PolicyResult) int {
					return strings.Compare(a.ID+"\x00"+a.Policy+"\x00"+a.Msg, b.ID+"\x00"+b.Policy+"\x00"+b.Msg)
				}) {
					t.Error("results not sorted by id, policy, msg")
				}
			}
			continue
		}
		if string(b) != string(first) {
			t.Fatalf("run %d: decision differs from the first run", i)
		}
	}
}

func TestDecideEmpty(t *testing.T) {
	e := mustEngine(t, Options{}, nil)
	for _, doc := range []*findings.Document{{}, document()} {
		dec, err := decideAndApply(e, doc)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Result != findings.ResultPass || dec.Deny == nil || dec.Warn == nil || len(dec.Deny)+len(dec.Warn) != 0 {
			t.Errorf("decision = %#v, want pass with empty (non-nil) lists", dec)
		}
		b, _ := json.Marshal(dec)
		if want := `{"result":"pass","deny":[],"warn":[],"waived":[]}`; string(b) != want {
			t.Errorf("JSON = %s, want %s", b, want)
		}
	}
}

// TestDecideInputHasNoDecision checks that policies never see an earlier
// decision, so that deciding twice gives the same answer.
func TestDecideInputHasNoDecision(t *testing.T) {
	e := mustEngine(t, Options{}, map[string]string{"probe.rego": `package secgate.probe

deny contains {"msg": "input has a decision"} if input.decision

deny contains {"msg": "a finding has a decision", "id": f.id} if {
	some f in input.findings
	f.decision
}
`})
	doc := document(vuln("a", findings.SeverityLow))
	for i := range 2 {
		dec, err := decideAndApply(e, doc)
		if err != nil {
			t.Fatal(err)
		}
		if dec.Result != findings.ResultPass {
			t.Fatalf("run %d: %+v", i, dec.Deny)
		}
	}
}

// TestInputValue checks that the hand-built input equals the document's JSON
// encoding (without decisions).
func TestInputValue(t *testing.T) {
	full := vuln("a", findings.SeverityHigh)
	full.CVSS = &findings.CVSS{Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}
	full.Package.PURL = "pkg:golang/golang.org/x/text@0.3.5"
	full.Vulnerability.Summary = "summary"
	full.Vulnerability.Details = "details"
	full.Vulnerability.Published = "2021-01-01T00:00:00Z"
	full.Vulnerability.Modified = "2022-01-01T00:00:00Z"
	full.Vulnerability.KEV = &findings.KEV{CVE: "CVE-2021-44228", DateAdded: "2021-12-10", DueDate: "2021-12-24", KnownRansomware: true}
	full.Vulnerability.EPSS = &findings.EPSS{CVE: "CVE-2021-44228", Score: 0.99999, Percentile: 1, Date: "2026-09-29"}
	full.Decision = findings.DecisionDeny
	full.Waiver = &findings.Waiver{ID: "a", RuleID: "GO-2021-0113", Path: "go.mod", Package: "golang.org/x/text", Reason: "r", Expires: "2099-01-01", Owner: "team"}
	full.Location.Column = 9
	full.Location.Target = "."
	full.Location.Dockerfile = &findings.FileLine{Path: "Dockerfile", Line: 3}
	full.Baseline = findings.BaselineNew
	full.Reachability = &findings.Reachability{Status: findings.ReachCalled, Mode: findings.ReachSource, Symbols: []string{"language.Parse"},
		Trace: []string{"accept.main", "language.Parse"}, Reason: "r"}
	full.Secret = &findings.Secret{Redacted: "AKIA…", Confidence: "high", Fingerprint: "0123456789abcdef0123456789abcdef"}
	full.Image = &findings.Image{Ref: "docker-archive:app.tar", Path: "/var/lib/dpkg/status", Layer: &findings.Layer{Index: 1, DiffID: "sha256:abc", Command: "RUN apt-get install -y openssl"}}
	full.Commit = &findings.Commit{SHA: "0123456789abcdef0123456789abcdef01234567", AuthorEmail: "dev@example.com", Date: "2026-01-02T03:04:05Z"}
	full.VEX = &findings.VEX{Status: findings.VEXNotAffected, Justification: "vulnerable_code_not_in_execute_path", Statement: "Parse is never called", Source: ".vex/app.json"}
	// Every field of the model must be set here, so that a field added to
	// findings.Finding but not to the input builder fails this test.
	assertAllSet(t, reflect.ValueOf(full), "finding")
	minimal := findings.Finding{ID: "b", Kind: findings.KindSecret, Scanner: "secrets", RuleID: "r", Severity: findings.SeverityLow, Location: findings.Location{Path: "p"}}
	doc := document(full, minimal, secret("c"))
	doc.Scans = append(doc.Scans, findings.Scan{Scanner: "secrets", Target: ".", Kind: findings.TargetDirectory, Source: "git history",
		Config: ".gitleaks.toml", Stats: map[string]int{"files": 0}, Warnings: []string{"no commit to scan"}})
	doc.Decision = &findings.Decision{Result: findings.ResultFail}

	plain := *doc
	plain.Decision = nil
	plain.Findings = slices.Clone(doc.Findings)
	for i := range plain.Findings {
		plain.Findings[i].Decision = ""
		plain.Findings[i].Waiver = nil
	}
	b, err := json.Marshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	want, err := ast.InterfaceToValue(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := inputValue(doc); got.Compare(want) != 0 {
		t.Errorf("input\n got %v\nwant %v", got, want)
	}
}

func TestInputValueNilListsAreEmptyArrays(t *testing.T) {
	f := vuln("a", findings.SeverityHigh)
	f.Vulnerability.Aliases, f.Vulnerability.FixedVersions, f.Vulnerability.References = nil, nil, nil
	got := inputValue(&findings.Document{Findings: []findings.Finding{f}})
	want := ast.MustParseTerm(`{"schema_version": 0, "tool": {"name": "", "version": ""}, "scans": [], "findings": [{
		"id": "a", "kind": "vulnerability", "scanner": "deps", "rule_id": "GO-2021-0113",
		"title": "Out-of-bounds read in golang.org/x/text/language", "severity": "high",
		"location": {"path": "go.mod", "line": 5},
		"package": {"name": "golang.org/x/text", "version": "0.3.5", "ecosystem": "Go"},
		"vulnerability": {"id": "GO-2021-0113", "aliases": [], "fixed_versions": [], "references": []}}]}`)
	if got.Compare(want.Value) != 0 {
		t.Errorf("input\n got %v\nwant %v", got, want)
	}
}

func TestFailClosed(t *testing.T) {
	runaway := `package secgate.runaway

deny contains {"msg": "never"} if {
	some i in numbers.range(1, 100000)
	some j in numbers.range(1, 100000)
	i * j < 0
}
`
	tests := []struct {
		name    string
		opts    Options
		modules map[string]string
		// wantNew is a substring of New's error; "" when New succeeds and
		// Decide must fail with wantDecide.
		wantNew, wantDecide string
	}{
		{name: "parse error", modules: map[string]string{"broken.rego": "package secgate.broken\n\ndeny contains {\"msg\": \"x\"} if {\n"},
			wantNew: "parse policies: 1 error occurred: broken.rego:"},
		{name: "unsafe variable", modules: map[string]string{"unsafe.rego": "package secgate.unsafe\n\ndeny contains {\"msg\": x} if true\n"},
			wantNew: "rego_unsafe_var_error"},
		{name: "strict mode", modules: map[string]string{"strict.rego": "package secgate.strict\n\nimport data.secgate.lib\n\ndeny contains {\"msg\": \"x\"} if false\n"},
			wantNew: "rego_compile_error"},
		{name: "deny not a set", modules: map[string]string{"num.rego": "package secgate.num\n\ndeny := 1\n"},
			wantNew: "data.secgate.num.deny must be a partial set rule"},
		{name: "warn partial object", modules: map[string]string{"obj.rego": "package secgate.obj\n\nwarn[x] := 1 if some x in input.findings\n"},
			wantNew: "data.secgate.obj.warn must be a partial set rule"},
		{name: "deny function", modules: map[string]string{"fn.rego": "package secgate.fn\n\ndeny(x) := x\n"},
			wantNew: "data.secgate.fn.deny must be a partial set rule"},
		{name: "deny outside secgate", modules: map[string]string{"main.rego": "package main\n\ndeny contains {\"msg\": \"x\"} if true\n"},
			wantNew: "data.main.deny is outside data.secgate"},
		{name: "deny through a ref head", modules: map[string]string{"ref.rego": "package other\n\nsecgate.deny contains {\"msg\": \"x\"} if true\n"},
			wantNew: "is outside data.secgate"},
		{name: "config package reserved", modules: map[string]string{"cfg.rego": "package secgate.config\n\nfail_on := \"low\"\n"},
			wantNew: "data.secgate.config is reserved"},
		{name: "rule conflicts with data", opts: Options{Data: map[string]any{"secgate": map[string]any{"lib": map[string]any{"fail_on": "low"}}}},
			wantNew: "rego_compile_error"},
		{name: "invalid fail_on", opts: config("fail_on", "hgh"), wantNew: "data.secgate.config.fail_on: invalid value hgh"},
		{name: "invalid unknown_severity", opts: config("unknown_severity", "ignore"), wantNew: "data.secgate.config.unknown_severity: invalid value"},
		{name: "unknown setting", opts: config("fail-on", "low"), wantNew: "data.secgate.config.fail-on: unknown setting (want fail_on, unknown_severity, deny_kev, min_epss, ignore_unfixed, disabled)"},
		{name: "deny_kev not a boolean", opts: config("deny_kev", "false"), wantNew: "data.secgate.config.deny_kev: invalid value false (want true or false)"},
		{name: "ignore_unfixed not a boolean", opts: Options{Data: map[string]any{"secgate": map[string]any{"config": map[string]any{"ignore_unfixed": 1}}}}, wantNew: "data.secgate.config.ignore_unfixed: invalid value 1 (want true or false)"},
		{name: "min_epss above 1", opts: Options{Data: map[string]any{"secgate": map[string]any{"config": map[string]any{"min_epss": 1.5}}}}, wantNew: "data.secgate.config.min_epss: invalid value 1.5 (want a number from 0 to 1)"},
		{name: "min_epss negative", opts: Options{Data: map[string]any{"secgate": map[string]any{"config": map[string]any{"min_epss": -0.01}}}}, wantNew: "data.secgate.config.min_epss: invalid value -0.01"},
		{name: "min_epss a string", opts: config("min_epss", "0.5"), wantNew: "data.secgate.config.min_epss: invalid value 0.5 (want a number from 0 to 1)"},
		{name: "config not an object", opts: Options{Data: map[string]any{"secgate": map[string]any{"config": "high"}}}, wantNew: "data.secgate.config must be an object"},
		{name: "builtin error", modules: map[string]string{"num.rego": "package secgate.num\n\ndeny contains {\"msg\": \"x\"} if to_number(input.tool.name) > 0\n"},
			wantDecide: "to_number: strconv.ParseFloat"},
		{name: "conflicting complete rule", modules: map[string]string{"conflict.rego": `package secgate.conflict

level := input.tool.name

level := "other"

deny contains {"msg": level} if true
`}, wantDecide: "eval_conflict_error"},
		{name: "element neither a string nor an object", modules: map[string]string{"num.rego": "package secgate.num\n\ndeny contains 7 if true\n"},
			wantDecide: `data.secgate.num.deny: element 7 is a number, want a string or an object with a string msg`},
		{name: "element without msg", modules: map[string]string{"nomsg.rego": "package secgate.nomsg\n\nwarn contains {\"message\": \"x\"} if true\n"},
			wantDecide: "data.secgate.nomsg.warn: element {\"message\": \"x\"} has no msg"},
		{name: "msg not a string", modules: map[string]string{"nummsg.rego": "package secgate.nummsg\n\ndeny contains {\"msg\": 1} if true\n"},
			wantDecide: "msg is a number, want a string"},
		{name: "id not a string", modules: map[string]string{"numid.rego": "package secgate.numid\n\ndeny contains {\"msg\": \"x\", \"id\": 1} if true\n"},
			wantDecide: "id is a number, want a string"},
		{name: "timeout", opts: Options{Timeout: 50 * time.Millisecond}, modules: map[string]string{"runaway.rego": runaway},
			wantDecide: "evaluate policies: context deadline exceeded (timeout 50ms)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := newTestEngine(t, tt.opts, tt.modules)
			if tt.wantNew != "" {
				if err == nil {
					t.Fatalf("New succeeded, want error containing %q", tt.wantNew)
				}
				checkPolicyError(t, err, tt.wantNew)
				return
			}
			if err != nil {
				t.Fatalf("new engine: %v", err)
			}
			doc := document(vuln("a", findings.SeverityLow))
			start := time.Now()
			dec, err := decideAndApply(e, doc)
			if err == nil {
				t.Fatalf("Decide = %+v, want error containing %q", dec, tt.wantDecide)
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("Decide took %v", elapsed)
			}
			checkPolicyError(t, err, tt.wantDecide)
			if dec != nil || doc.Decision != nil || doc.Findings[0].Decision != "" {
				t.Errorf("failed Decide changed the document or returned a decision")
			}
		})
	}
}

func checkPolicyError(t *testing.T, err error, want string) {
	t.Helper()
	if !errors.Is(err, ErrPolicy) {
		t.Errorf("error %v does not wrap ErrPolicy", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v\nwant it to contain %q", err, want)
	}
}

func TestDecideCanceledContext(t *testing.T) {
	e := mustEngine(t, Options{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Decide(ctx, document(vuln("a", findings.SeverityLow)))
	if !errors.Is(err, ErrPolicy) || !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want ErrPolicy and context.Canceled", err)
	}
}

func TestDecideNilDocument(t *testing.T) {
	e := mustEngine(t, Options{}, nil)
	if _, err := e.Decide(context.Background(), nil); !errors.Is(err, ErrPolicy) {
		t.Errorf("error = %v, want ErrPolicy", err)
	}
}

func TestNoPolicies(t *testing.T) {
	lib, err := defaultFS.ReadFile("default/lib.rego")
	if err != nil {
		t.Fatal(err)
	}
	_, err = newEngine(context.Background(), Options{}, map[string]string{"lib.rego": string(lib)})
	if err == nil || !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), "no deny or warn rules") {
		t.Errorf("error = %v, want no deny or warn rules", err)
	}
}

// TestAppendResultsNotASet covers a value the compile-time checks already
// rule out: the engine still refuses it.
func TestAppendResultsNotASet(t *testing.T) {
	for _, v := range []any{nil, ast.IntNumberTerm(1), ast.ArrayTerm(ast.StringTerm("x"))} {
		if _, err := appendResults(nil, v, "secgate.x", "deny", nil, nil); err == nil {
			t.Errorf("appendResults(%v) succeeded", v)
		}
	}
}

func TestDecidePolicyNames(t *testing.T) {
	e := mustEngine(t, Options{}, map[string]string{
		"quoted.rego":  "package secgate[\"team-a\"]\n\ndeny contains {\"msg\": \"a\"} if true\n",
		"refhead.rego": "package secgate\n\nextra.warn contains {\"msg\": \"b\"} if true\n",
	})
	dec, err := e.Decide(context.Background(), document())
	if err != nil {
		t.Fatal(err)
	}
	want := findings.Decision{
		Waived: []findings.PolicyResult{},
		Result: findings.ResultFail,
		Deny:   []findings.PolicyResult{{Policy: `secgate["team-a"]`, Msg: "a"}},
		Warn:   []findings.PolicyResult{{Policy: "secgate.extra", Msg: "b"}},
	}
	if !reflect.DeepEqual(dec.Decision, want) {
		t.Errorf("decision = %+v, want %+v", dec, want)
	}
}

// TestDecideConcurrent is for the race detector: an Engine is shared.
func TestDecideConcurrent(t *testing.T) {
	e := mustEngine(t, Options{}, nil)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			doc := document(vuln(fmt.Sprint("v", i), findings.SeverityHigh), secret(fmt.Sprint("s", i)))
			dec, err := decideAndApply(e, doc)
			if err != nil {
				t.Error(err)
				return
			}
			if len(dec.Deny) != 2 {
				t.Errorf("deny = %+v", dec.Deny)
			}
		})
	}
	wg.Wait()
}

// assertAllSet fails for every zero field of v (structs, recursively through
// pointers).
func assertAllSet(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			t.Errorf("%s is nil", path)
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		if v.IsZero() {
			t.Errorf("%s is not set", path)
		}
		return
	}
	for i := range v.NumField() {
		assertAllSet(t, v.Field(i), path+"."+v.Type().Field(i).Name)
	}
}

// decideAndApply is Decide, then Apply on success, for tests that check the
// findings' decisions.
func decideAndApply(e *Engine, doc *findings.Document) (*Verdict, error) {
	v, err := e.Decide(context.Background(), doc)
	if err == nil {
		v.Apply(doc)
	}
	return v, err
}

// Decide returns the verdict and changes nothing in the document: the
// caller records it with Apply.
func TestDecideLeavesTheDocument(t *testing.T) {
	e := mustEngine(t, Options{Waivers: []findings.Waiver{{ID: "w", Reason: "r", Expires: "2099-01-01"}}}, nil)
	doc := document(vuln("a", findings.SeverityCritical), vuln("w", findings.SeverityHigh), vuln("l", findings.SeverityLow))
	before := fmt.Sprintf("%+v", *doc)
	v, err := e.Decide(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprintf("%+v", *doc); after != before {
		t.Fatalf("Decide changed the document:\n%s\n%s", before, after)
	}
	v.Apply(doc)
	want := map[string]string{"a": "deny", "w": "waived", "l": "warn"}
	if got := decisions(doc); !reflect.DeepEqual(got, want) {
		t.Errorf("after Apply: %v, want %v", got, want)
	}
	if doc.Findings[1].Waiver == nil || doc.Findings[1].Waiver.Reason != "r" {
		t.Errorf("waiver %+v", doc.Findings[1].Waiver)
	}
}

// A result of a team's policy file names the file (as Locate says) and the
// line of the package's first deny or warn rule; the embedded defaults,
// which are in no repository, name none.
func TestResultLocations(t *testing.T) {
	team := "package secgate.team\n\n# a comment\nwarn contains {\"msg\": \"too many\"} if true\n\ndeny contains {\"msg\": \"nope\"} if true\n"
	located := map[string]string{}
	e, err := New(context.Background(), Options{
		Modules: map[string]string{"/abs/repo/policies/team.rego": team},
		Locate: func(module string) (string, bool) {
			located[module] = "asked"
			return "policies/team.rego", true
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := e.Decide(context.Background(), document(vuln("a", findings.SeverityCritical)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]findings.FileLine{"nope": {Path: "policies/team.rego", Line: 6}, "too many": {Path: "policies/team.rego", Line: 4}}
	for _, r := range append(slices.Clone(dec.Deny), dec.Warn...) {
		w, ok := want[r.Msg]
		switch {
		case ok && (r.Location == nil || *r.Location != w):
			t.Errorf("%q at %+v, want %+v", r.Msg, r.Location, w)
		case !ok && r.Location != nil:
			t.Errorf("default policy result %q located at %+v", r.Msg, r.Location)
		}
	}
	if len(located) != 1 {
		t.Errorf("Locate asked for %v, want only the team's module", located)
	}
}

// TestStringResults: a conftest-style `deny contains msg` is a result about
// the whole scan with that message.
func TestStringResults(t *testing.T) {
	e, err := newTestEngine(t, Options{}, map[string]string{"style.rego": `package secgate.style

deny contains msg if {
	some f in input.findings
	f.severity == "critical"
	msg := sprintf("critical finding %s", [f.rule_id])
}

warn contains "always reviewed by the security team" if true
`})
	if err != nil {
		t.Fatal(err)
	}
	doc := document(vuln("a", findings.SeverityCritical))
	v, err := e.Decide(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	v.Apply(doc)
	var deny, warn []string
	for _, r := range doc.Decision.Deny {
		if r.Policy == "secgate.style" {
			deny = append(deny, r.Msg+"|"+r.ID)
		}
	}
	for _, r := range doc.Decision.Warn {
		if r.Policy == "secgate.style" {
			warn = append(warn, r.Msg+"|"+r.ID)
		}
	}
	if !slices.Equal(deny, []string{"critical finding GO-2021-0113|"}) || !slices.Equal(warn, []string{"always reviewed by the security team|"}) {
		t.Errorf("deny %q, warn %q", deny, warn)
	}
	if doc.Decision.Result != findings.ResultFail {
		t.Errorf("result %s, want fail", doc.Decision.Result)
	}
}

// TestDisabledDefaults: data.secgate.config.disabled turns one default
// package off and keeps the others, the same way through the plan and
// OPA's evaluator; an unknown name is an error.
func TestDisabledDefaults(t *testing.T) {
	cfg := func(v any) Options {
		return Options{Data: map[string]any{"secgate": map[string]any{"config": map[string]any{"disabled": v}}}}
	}
	e, err := New(context.Background(), cfg([]any{"secrets"}))
	if err != nil {
		t.Fatal(err)
	}
	for name, engine := range map[string]*Engine{"plan": e, "OPA's evaluator": oneEvaluation(e)} {
		doc := document(vuln("v", findings.SeverityHigh), secret("s"))
		v, err := engine.Decide(context.Background(), doc)
		if err != nil {
			t.Fatal(err)
		}
		v.Apply(doc)
		got := map[string]string{}
		for _, f := range doc.Findings {
			got[f.ID] = f.Decision
		}
		if got["v"] != findings.DecisionDeny || got["s"] != findings.DecisionAllow {
			t.Errorf("%s: decisions %v, want the vulnerability denied and the secret allowed", name, got)
		}
	}
	for _, bad := range []any{"secrets", []any{"secret"}, []any{"waivers"}, []any{1}} {
		if _, err := New(context.Background(), cfg(bad)); err == nil || !strings.Contains(err.Error(), "data.secgate.config.disabled") {
			t.Errorf("disabled %v: err = %v", bad, err)
		}
	}
}
