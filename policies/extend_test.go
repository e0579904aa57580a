package policies

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestWaiversInDecide(t *testing.T) {
	doc := func() *findings.Document {
		return document(vuln("v1", findings.SeverityHigh), vuln("v2", findings.SeverityHigh))
	}
	waiver := findings.Waiver{ID: "v1", Reason: "behind the proxy", Expires: "2026-12-31", Owner: "team-a"}
	tests := []struct {
		name       string
		today      string
		waivers    []findings.Waiver
		result     string
		decisions  map[string]string
		warnSubstr string
	}{
		{"no waiver", "2026-06-01", nil, findings.ResultFail, map[string]string{"v1": "deny", "v2": "deny"}, ""},
		{"active", "2026-06-01", []findings.Waiver{waiver}, findings.ResultFail, map[string]string{"v1": "waived", "v2": "deny"}, ""},
		{"all waived", "2026-06-01", []findings.Waiver{{RuleID: "GO-2021-0113", Reason: "r", Expires: "2026-12-31"}}, findings.ResultPass, map[string]string{"v1": "waived", "v2": "waived"}, ""},
		{"expired", "2027-01-01", []findings.Waiver{waiver}, findings.ResultFail, map[string]string{"v1": "deny", "v2": "deny"}, "waiver 1 (id: v1, owner: team-a) expired on 2026-12-31"},
		{"stale", "2026-06-01", []findings.Waiver{{ID: "gone", Reason: "r", Expires: "2026-12-31"}}, findings.ResultFail, map[string]string{"v1": "deny", "v2": "deny"}, "matched no finding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(context.Background(), Options{Waivers: tt.waivers, Today: tt.today})
			if err != nil {
				t.Fatal(err)
			}
			d := doc()
			dec, err := decideAndApply(e, d)
			if err != nil {
				t.Fatal(err)
			}
			if dec.Result != tt.result {
				t.Errorf("result %s, want %s", dec.Result, tt.result)
			}
			if got := decisions(d); !equalMaps(got, tt.decisions) {
				t.Errorf("decisions %v, want %v", got, tt.decisions)
			}
			for _, f := range d.Findings {
				if (f.Decision == findings.DecisionWaived) != (f.Waiver != nil) {
					t.Errorf("%s: decision %s, waiver %+v", f.ID, f.Decision, f.Waiver)
				}
			}
			var warns []string
			for _, w := range dec.Warn {
				warns = append(warns, w.Msg)
			}
			if tt.warnSubstr != "" && !strings.Contains(strings.Join(warns, "\n"), tt.warnSubstr) {
				t.Errorf("warnings %q lack %q", warns, tt.warnSubstr)
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestLoadWaivers(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ok.yaml":       "waivers:\n  - rule_id: GO-2021-0113\n    path: services/**\n    reason: behind the proxy\n    expires: 2027-01-31\n    owner: team-a\n",
		"noreason.yaml": "waivers:\n  - id: abc\n    expires: 2027-01-31\n",
		"noexpiry.yaml": "waivers:\n  - id: abc\n    reason: r\n",
		"baddate.yaml":  "waivers:\n  - id: abc\n    reason: r\n    expires: next year\n",
		"nothing.yaml":  "waivers:\n  - reason: r\n    expires: 2027-01-31\n",
		"unknown.yaml":  "waivers:\n  - id: abc\n    reason: r\n    expires: 2027-01-31\n    until: never\n",
		"notyaml.yaml":  "waivers: [",
		"empty.yaml":    "",
		"comments.yaml": "# waivers are added here as findings are accepted\n\n",
		"nolist.yaml":   "waivers:\n",
	})
	// A file with no waivers yet is valid: empty, comments only, or an
	// empty list.
	for _, name := range []string{"empty.yaml", "comments.yaml", "nolist.yaml"} {
		if ws, err := LoadWaivers("", filepath.Join(dir, name)); err != nil || len(ws) != 0 {
			t.Errorf("%s: %+v, %v; want no waivers and no error", name, ws, err)
		}
	}
	ws, err := LoadWaivers("", filepath.Join(dir, "ok.yaml"))
	if err != nil || len(ws) != 1 || ws[0].Expires != "2027-01-31" || ws[0].Path != "services/**" || ws[0].Owner != "team-a" {
		t.Fatalf("ok.yaml: %+v, %v", ws, err)
	}
	for name, want := range map[string]string{
		"noreason.yaml": "needs a reason", "noexpiry.yaml": "want a date", "baddate.yaml": "want a date",
		"nothing.yaml": "needs id or rule_id", "unknown.yaml": "until", "notyaml.yaml": "notyaml.yaml",
	} {
		_, err := LoadWaivers("", filepath.Join(dir, name))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
}

// A field-name typo in a custom policy is a load error naming the file and
// line, not a rule that never fires.
func TestTypedInput(t *testing.T) {
	for name, src := range map[string]string{
		"typo_top.rego":   "package secgate.team\n\ndeny contains {\"msg\": \"x\"} if {\n\tsome f in input.findngs\n\tf.kind == \"secret\"\n}\n",
		"typo_field.rego": "package secgate.team\n\ndeny contains {\"msg\": \"x\", \"id\": f.id} if {\n\tsome f in input.findings\n\tf.severty == \"high\"\n}\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(context.Background(), Options{Modules: map[string]string{"team/" + name: src}})
			if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), "team/"+name+":") || !strings.Contains(err.Error(), "undefined ref") {
				t.Fatalf("err = %v, want a type error naming team/%s and its line", err, name)
			}
		})
	}
	ok := "package secgate.team\n\ndeny contains {\"msg\": \"x\", \"id\": f.id} if {\n\tsome f in input.findings\n\tf.severity == \"high\"\n\tf.location.line > 3\n}\n"
	if _, err := New(context.Background(), Options{Modules: map[string]string{"team/ok.rego": ok}}); err != nil {
		t.Fatalf("a correct policy: %v", err)
	}
}

func TestRuleMetadata(t *testing.T) {
	src := `# METADATA
# title: Too many medium vulnerabilities
# description: More than two medium vulnerabilities fail the build.
# custom:
#   id: TEAM-001
#   severity: high
#   remediation: Upgrade or waive them.
package secgate.team

deny contains {"msg": sprintf("%d medium vulnerabilities (limit 2)", [n])} if {
	n := count([f | some f in input.findings; f.severity == "medium"])
	n > 2
}
`
	e, err := New(context.Background(), Options{Modules: map[string]string{"team.rego": src}, NoDefaults: true})
	if err != nil {
		t.Fatal(err)
	}
	doc := document(vuln("a", "medium"), vuln("b", "medium"), vuln("c", "medium"))
	dec, err := decideAndApply(e, doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(dec.Deny) != 1 || dec.Deny[0].ID != "" || dec.Deny[0].Rule == nil {
		t.Fatalf("deny %+v", dec.Deny)
	}
	want := findings.RuleMeta{ID: "TEAM-001", Title: "Too many medium vulnerabilities", Description: "More than two medium vulnerabilities fail the build.", Severity: "high", Remediation: "Upgrade or waive them."}
	if *dec.Deny[0].Rule != want {
		t.Errorf("rule %+v, want %+v", *dec.Deny[0].Rule, want)
	}
	// Without the defaults nothing else decides: the findings are allowed.
	for _, f := range doc.Findings {
		if f.Decision != findings.DecisionAllow {
			t.Errorf("%s: %s", f.ID, f.Decision)
		}
	}
}

func TestLoadModulesAndData(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"p/a.rego":      "package secgate.a\n\ndeny contains {\"msg\": \"a\"} if data.team.block\n",
		"p/a_test.rego": "package secgate.a_test\n\ntest_x if true\n",
		"p/README.md":   "not rego",
		"d/team.yaml":   "team:\n  block: true\n  owners: [x]\n",
		"d/more.json":   "{\"team\": {\"limit\": 3}}",
		"d/clash.json":  "{\"team\": {\"block\": false}}",
	})
	mods, err := LoadModules("", []string{filepath.Join(dir, "p")})
	if err != nil || len(mods) != 1 {
		t.Fatalf("modules %v, %v", mods, err)
	}
	tests, err := LoadTestModules("", []string{filepath.Join(dir, "p")})
	if err != nil || len(tests) != 2 {
		t.Fatalf("test modules %v, %v", tests, err)
	}
	data, err := LoadData("", []string{filepath.Join(dir, "d/team.yaml"), filepath.Join(dir, "d/more.json")})
	if err != nil {
		t.Fatal(err)
	}
	team := data["team"].(map[string]any)
	if team["block"] != true || team["limit"] != float64(3) {
		t.Errorf("data %v", data)
	}
	if _, err := LoadData("", []string{filepath.Join(dir, "d")}); err == nil || !strings.Contains(err.Error(), "set twice") {
		t.Errorf("clash: %v", err)
	}
	e, err := New(context.Background(), Options{Modules: mods, Data: data, NoDefaults: true})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := e.Decide(context.Background(), document())
	if err != nil || dec.Result != findings.ResultFail {
		t.Fatalf("dec %+v, %v", dec, err)
	}
}
