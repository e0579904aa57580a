package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/schematest"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, p, body)
	}
	return dir
}

const teamPolicy = `package secgate.team

deny contains {"msg": sprintf("%s is blocked", [f.package.name]), "id": f.id} if {
	some f in input.findings
	f.kind == "vulnerability"
	f.package.name in data.team.blocked
}
`

func TestPolicyTest(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"team.rego": teamPolicy,
		"team_test.rego": `package secgate.team_test

import data.secgate.team

vuln := {"id": "x", "kind": "vulnerability", "scanner": "deps", "rule_id": "R", "title": "t", "severity": "low",
	"location": {"path": "go.mod"}, "package": {"name": "left-pad", "version": "1", "ecosystem": "npm"}}

test_blocked if {
	count(team.deny) == 1 with input.findings as [vuln] with data.team.blocked as ["left-pad"]
}

test_wrong_expectation if {
	count(team.deny) == 2 with input.findings as [vuln] with data.team.blocked as ["left-pad"]
}
`,
	})
	r := secgate(t, "policy", "test", dir)
	if r.code != exitDenied {
		t.Fatalf("exit %d, want 1: %s %s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "FAIL  data.secgate.team_test.test_wrong_expectation") || !strings.Contains(r.stdout, "2 tests: 1 passed, 1 failed") {
		t.Errorf("output does not name the failing test:\n%s", r.stdout)
	}
	os.Remove(filepath.Join(dir, "team_test.rego"))
	write(t, filepath.Join(dir, "team_test.rego"), "package secgate.team_test\n\nimport data.secgate.team\n\ntest_empty if count(team.deny) == 0 with input.findings as []\n")
	r = secgate(t, "policy", "test", "--coverage", dir)
	if r.code != exitPass || !strings.Contains(r.stdout, "coverage") {
		t.Errorf("passing tests: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Waivers: next year's waiver passes the gate and marks the finding waived;
// yesterday's does not apply and is named in a warning.
func TestWaivers(t *testing.T) {
	target := filepath.Join(lockfiles, "go-vulnerable")
	waivers := func(expires string) string {
		return writeTree(t, map[string]string{"w.yaml": "waivers:\n  - rule_id: GO-2021-0113\n    package: golang.org/x/text\n    reason: only used for English tags\n    owner: platform\n    expires: " + expires + "\n"})
	}
	next := time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly)
	r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "--waivers", filepath.Join(waivers(next), "w.yaml"), target)
	if r.code != exitPass {
		t.Fatalf("waived: exit %d: %s", r.code, r.stderr)
	}
	doc := decode(t, r.stdout)
	f := doc.Findings[0]
	if f.Decision != findings.DecisionWaived || f.Waiver == nil || f.Waiver.Reason != "only used for English tags" || len(doc.Decision.Waived) != 1 {
		t.Errorf("finding %s waiver %+v decision %+v", f.Decision, f.Waiver, doc.Decision)
	}
	if !strings.Contains(r.stderr, "1 waived") || !strings.Contains(r.stderr, "only used for English tags") {
		t.Errorf("summary does not show the waiver:\n%s", r.stderr)
	}
	r = secgate(t, "scan", "--offline-db", offlineDB, "-f", "sarif", "--waivers", filepath.Join(waivers(next), "w.yaml"), target)
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID       string `json:"ruleId"`
				Suppressions []struct {
					Kind, Status, Justification string
				} `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sarif); err != nil || r.code != exitPass {
		t.Fatalf("sarif: exit %d, %v", r.code, err)
	}
	res := sarif.Runs[0].Results
	if len(res) != 1 || res[0].RuleID != "GO-2021-0113" || len(res[0].Suppressions) != 1 ||
		res[0].Suppressions[0].Kind != "external" || res[0].Suppressions[0].Justification != "only used for English tags" {
		t.Errorf("SARIF results %+v, want GO-2021-0113 suppressed with the waiver's reason", res)
	}
	schematest.Validate(t, schematest.SARIF(t, repoRoot), []byte(r.stdout))

	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	r = secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "--waivers", filepath.Join(waivers(yesterday), "w.yaml"), target)
	if r.code != exitDenied {
		t.Fatalf("expired: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "waiver 1 (rule_id: GO-2021-0113, package: golang.org/x/text, owner: platform) expired on "+yesterday) {
		t.Errorf("no warning naming the expired waiver:\n%s", r.stderr)
	}

	// The default file at the scanned directory is read.
	dir := writeTree(t, map[string]string{
		"go.mod":                "module x\n\ngo 1.21\n\nrequire golang.org/x/text v0.3.5\n",
		".secgate-waivers.yaml": "waivers:\n  - rule_id: GO-2021-0113\n    reason: r\n    expires: " + next + "\n",
	})
	if r = secgate(t, "scan", "--offline-db", offlineDB, "--scanners", "deps", dir); r.code != exitPass {
		t.Errorf(".secgate-waivers.yaml not applied: exit %d: %s", r.code, r.stderr)
	}
	write(t, filepath.Join(dir, ".secgate-waivers.yaml"), "waivers:\n  - rule_id: GO-2021-0113\n    expires: "+next+"\n")
	if r = secgate(t, "scan", "--offline-db", offlineDB, "--scanners", "deps", dir); r.code != exitError || !strings.Contains(r.stderr, "needs a reason") {
		t.Errorf("waiver without reason: exit %d: %s", r.code, r.stderr)
	}
}

// A typo in a custom policy, or broken Rego, is exit 2 naming file and line.
func TestBrokenPolicies(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"typo/p.rego":   "package secgate.team\n\ndeny contains {\"msg\": \"x\", \"id\": f.id} if {\n\tsome f in input.findings\n\tf.severty == \"critical\"\n}\n",
		"broken/p.rego": "package secgate.team\n\ndeny contains {\"msg\": \"x\" if {\n",
	})
	target := filepath.Join(lockfiles, "go-fixed")
	for name, want := range map[string]string{"typo": "p.rego:5", "broken": "p.rego:3"} {
		r := secgate(t, "scan", "--offline-db", offlineDB, "--policy", filepath.Join(dir, name), target)
		if r.code != exitError || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: exit %d, want 2 naming %s:\n%s", name, r.code, want, r.stderr)
		}
		r = secgate(t, "policy", "check", filepath.Join(dir, name))
		if r.code != exitDenied || !strings.Contains(r.stderr, want) {
			t.Errorf("policy check %s: exit %d:\n%s", name, r.code, r.stderr)
		}
	}
	if r := secgate(t, "policy", "check"); r.code != exitPass {
		t.Errorf("policy check of the defaults: exit %d: %s", r.code, r.stderr)
	}
}

// policy eval decides a saved report again with a stricter policy.
func TestPolicyEval(t *testing.T) {
	saved := filepath.Join(t.TempDir(), "report.json")
	r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "-o", saved, "-q", "--fail-on", "critical", filepath.Join(lockfiles, "go-vulnerable"))
	if r.code != exitPass {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	before, _ := os.ReadFile(saved)
	r = secgate(t, "policy", "eval", "--input", saved, "-f", "json", "--fail-on", "high")
	if r.code != exitDenied {
		t.Fatalf("stricter eval: exit %d: %s", r.code, r.stderr)
	}
	if doc := decode(t, r.stdout); doc.Decision.Result != findings.ResultFail || doc.Findings[0].Decision != findings.DecisionDeny {
		t.Errorf("decision %+v", doc.Decision)
	}
	policy := writeTree(t, map[string]string{"team.rego": teamPolicy, "data.yaml": "team:\n  blocked: [golang.org/x/text]\n"})
	r = secgate(t, "policy", "eval", "--input", saved, "--fail-on", "critical", "--policy", filepath.Join(policy, "team.rego"), "--data", filepath.Join(policy, "data.yaml"), "-q")
	if r.code != exitDenied || !strings.Contains(r.stdout, "deny") {
		t.Errorf("team policy eval: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if after, _ := os.ReadFile(saved); string(after) != string(before) {
		t.Error("eval changed the saved report")
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	write(t, bad, `{"schema_version": 2, "findings": [], "unknown": true}`)
	if r = secgate(t, "policy", "eval", "--input", bad); r.code != exitError {
		t.Errorf("bad report: exit %d", r.code)
	}
}

func TestPolicyFmt(t *testing.T) {
	dir := writeTree(t, map[string]string{"p.rego": "package secgate.x\ndeny contains {\"msg\":\"m\"} if { true }\n"})
	if r := secgate(t, "policy", "fmt", dir); r.code != exitDenied || !strings.Contains(r.stdout, "p.rego") {
		t.Errorf("fmt: exit %d: %s", r.code, r.stdout)
	}
	if r := secgate(t, "policy", "fmt", "--write", dir); r.code != exitPass {
		t.Errorf("fmt --write: exit %d: %s", r.code, r.stderr)
	}
	if r := secgate(t, "policy", "fmt", dir); r.code != exitPass {
		t.Errorf("fmt after --write: exit %d: %s", r.code, r.stdout)
	}
}

// policy eval reads the current directory's waivers file by default, as
// its help says; an empty or comment-only waivers file is a file with no
// waivers, in scan and in eval.
func TestPolicyEvalDefaultWaivers(t *testing.T) {
	saved := filepath.Join(t.TempDir(), "report.json")
	r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "-o", saved, "-q", filepath.Join(lockfiles, "go-vulnerable"))
	if r.code != exitDenied {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	data, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	id := decode(t, string(data)).Findings[0].ID
	tests := []struct {
		name, waivers string
		code          int
	}{
		{"a waiver of the finding", "waivers:\n  - id: " + id + "\n    reason: behind the proxy\n    expires: 2099-12-31\n", exitPass},
		{"comments only", "# no waivers yet\n", exitDenied},
		{"empty", "", exitDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{".secgate-waivers.yaml": tc.waivers})
			r := secgateChild(t, childOptions{dir: dir}, "policy", "eval", "--input", saved, "-q")
			if r.code != tc.code {
				t.Errorf("policy eval: exit %d, want %d: %s", r.code, tc.code, r.stderr)
			}
			gomod, err := os.ReadFile(filepath.Join(lockfiles, "go-vulnerable", "go.mod"))
			if err != nil {
				t.Fatal(err)
			}
			scanned := writeTree(t, map[string]string{"go.mod": string(gomod), ".secgate-waivers.yaml": tc.waivers})
			if r := secgate(t, "scan", "--offline-db", offlineDB, "--reachability=off", "-q", scanned); r.code != tc.code {
				t.Errorf("scan with this waivers file: exit %d, want %d: %s", r.code, tc.code, r.stderr)
			}
		})
	}
}

// A conftest-style policy whose deny set holds strings: policy check
// accepts it, and a scan where it fires is denied with the string as the
// message of a result about the whole scan (not exit 2).
func TestStringMessagePolicy(t *testing.T) {
	dir := writeTree(t, map[string]string{"conftest.rego": `package secgate.conftest

deny contains msg if {
	some f in input.findings
	f.rule_id == "GO-2021-0113"
	msg := sprintf("%s must be fixed before release", [f.rule_id])
}
`})
	if r := secgate(t, "policy", "check", dir); r.code != exitPass {
		t.Fatalf("policy check: exit %d: %s", r.code, r.stderr)
	}
	r := secgate(t, "scan", "--offline-db", offlineDB, "--reachability=off", "--fail-on", "critical", "--policy", dir, "-f", "json", filepath.Join(lockfiles, "go-vulnerable"))
	if r.code != exitDenied {
		t.Fatalf("scan: exit %d, want %d: %s", r.code, exitDenied, r.stderr)
	}
	doc := decode(t, r.stdout)
	found := false
	for _, d := range doc.Decision.Deny {
		if d.Policy == "secgate.conftest" && d.Msg == "GO-2021-0113 must be fixed before release" && d.ID == "" {
			found = true
		}
	}
	if !found {
		t.Errorf("deny results %+v lack the string message", doc.Decision.Deny)
	}
}

// What a team policy print()s reaches stderr, with its place, in scan and
// policy eval (OPA drops print calls unless asked to keep them).
func TestPolicyPrint(t *testing.T) {
	dir := writeTree(t, map[string]string{"debug.rego": `package secgate.debug

warn contains {"msg": "seen", "id": f.id} if {
	some f in input.findings
	print("looking at", f.rule_id)
}
`})
	policy := filepath.Join(dir, "debug.rego")
	saved := filepath.Join(t.TempDir(), "report.json")
	r := secgate(t, "scan", "--offline-db", offlineDB, "--reachability=off", "-q", "--policy", policy, "-f", "json", "-o", saved, filepath.Join(lockfiles, "go-vulnerable"))
	if r.code != exitDenied {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	want := "debug.rego:5: looking at GO-2021-0113"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("scan stderr lacks %q:\n%s", want, r.stderr)
	}
	r = secgate(t, "policy", "eval", "-q", "--input", saved, "--policy", policy)
	if !strings.Contains(r.stderr, want) {
		t.Errorf("policy eval stderr lacks %q:\n%s", want, r.stderr)
	}
}

// policy input prints the document the policies decide on: the scan's
// findings without decisions or waivers, valid against the findings schema,
// and deciding it again (policy eval) gives the scan's decision.
func TestPolicyInput(t *testing.T) {
	args := []string{"--offline-db", offlineDB, "--reachability=off", "-q", example}
	scan := secgate(t, append([]string{"scan", "-f", "json"}, args...)...)
	if scan.code != exitDenied {
		t.Fatalf("scan: exit %d: %s", scan.code, scan.stderr)
	}
	in := secgate(t, append([]string{"policy", "input"}, args...)...)
	if in.code != exitPass {
		t.Fatalf("policy input: exit %d: %s", in.code, in.stderr)
	}
	schematest.Validate(t, schematest.Findings(t), []byte(in.stdout))
	doc := decode(t, in.stdout)
	if doc.Decision != nil || len(doc.Findings) == 0 {
		t.Fatalf("input has a decision or no findings: %+v", doc.Decision)
	}
	for _, f := range doc.Findings {
		if f.Decision != "" || f.Waiver != nil {
			t.Errorf("%s: decision %q, waiver %+v in the input", f.RuleID, f.Decision, f.Waiver)
		}
	}
	file := filepath.Join(t.TempDir(), "input.json")
	write(t, file, in.stdout)
	again := secgate(t, "policy", "eval", "-q", "--input", file, "-f", "json")
	if again.code != scan.code {
		t.Fatalf("policy eval of the input: exit %d, want %d: %s", again.code, scan.code, again.stderr)
	}
	want, got := decode(t, scan.stdout), decode(t, again.stdout)
	wj, _ := json.Marshal(want.Decision)
	gj, _ := json.Marshal(got.Decision)
	if string(wj) != string(gj) {
		t.Errorf("decision of the input:\n%s\nscan's:\n%s", gj, wj)
	}
}

// policy test as opa test: --run selects tests, --format json prints the
// results, --explain fails traces a failing test's failed expressions,
// --threshold fails a run below the coverage asked for.
func TestPolicyTestFlags(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"team.rego": "package secgate.team\n\ndeny contains {\"msg\": \"critical\", \"id\": f.id} if {\n\tsome f in input.findings\n\tf.severity == \"critical\"\n}\n\nwarn contains {\"msg\": \"medium\", \"id\": f.id} if {\n\tsome f in input.findings\n\tf.severity == \"medium\"\n}\n",
		"team_test.rego": `package secgate.team_test

import data.secgate.team

test_critical_denied if {
	count(team.deny) == 1 with input as {"findings": [{"id": "a", "severity": "critical"}]}
}

test_high_denied_wrongly if {
	count(team.deny) == 1 with input as {"findings": [{"id": "a", "severity": "high"}]}
}
`,
	})
	type testsJSON struct {
		Tests []struct {
			Name, Result, Explain string
		}
		Passed, Failed int
		Coverage       *struct{ Percent float64 }
	}
	tests := []struct {
		name  string
		args  []string
		code  int
		check func(t *testing.T, out string)
	}{
		{"--run selects", []string{"--run", "critical"}, exitPass, func(t *testing.T, out string) {
			if !strings.Contains(out, "1 tests: 1 passed, 0 failed") {
				t.Errorf("output:\n%s", out)
			}
		}},
		{"--run matches nothing", []string{"--run", "nothing_here"}, exitError, nil},
		{"--run bad regex", []string{"--run", "("}, exitError, nil},
		{"--format json", []string{"--format", "json"}, exitDenied, func(t *testing.T, out string) {
			var r testsJSON
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if r.Passed != 1 || r.Failed != 1 || len(r.Tests) != 2 || r.Tests[1].Result != "fail" || r.Tests[1].Name != "data.secgate.team_test.test_high_denied_wrongly" {
				t.Errorf("results %+v", r)
			}
		}},
		{"--explain fails", []string{"--explain", "fails"}, exitDenied, func(t *testing.T, out string) {
			if !strings.Contains(out, "FAIL  data.secgate.team_test.test_high_denied_wrongly") || !strings.Contains(out, `Fail f.severity = "critical"`) {
				t.Errorf("no trace of the failed expression:\n%s", out)
			}
			if strings.Contains(out, "test_critical_denied") {
				t.Errorf("--explain fails traced a passing test:\n%s", out)
			}
		}},
		{"--explain full", []string{"--explain", "full", "--run", "critical", "--format", "json"}, exitPass, func(t *testing.T, out string) {
			var r testsJSON
			if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Tests) != 1 || !strings.Contains(r.Tests[0].Explain, "Enter data.secgate.team.deny") {
				t.Errorf("full trace missing (%v):\n%s", err, out)
			}
		}},
		{"--threshold above the coverage", []string{"--run", "critical", "--threshold", "99"}, exitDenied, func(t *testing.T, out string) {
			if !strings.Contains(out, "below the threshold 99.00%") {
				t.Errorf("output:\n%s", out)
			}
		}},
		{"--threshold met", []string{"--run", "critical", "--threshold", "10", "--format", "json"}, exitPass, func(t *testing.T, out string) {
			var r testsJSON
			if err := json.Unmarshal([]byte(out), &r); err != nil || r.Coverage == nil || r.Coverage.Percent <= 10 || r.Coverage.Percent >= 100 {
				t.Errorf("coverage %+v (%v)", r.Coverage, err)
			}
		}},
		{"--explain bad mode", []string{"--explain", "all"}, exitError, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := secgate(t, append(append([]string{"policy", "test"}, tc.args...), dir)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if tc.check != nil {
				tc.check(t, r.stdout)
			}
		})
	}
}
