package policies

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/secgate/secgate/findings"
)

// The example policies in examples/ (documented in docs/policies.md) are
// tested as a team would use them: their own Rego unit tests, and compiled
// by New as custom modules, with and without the defaults, deciding a small
// document.

const examplesDir = "examples"

// exampleDirs returns the example directories, sorted.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		t.Fatal("no examples")
	}
	return dirs
}

// parseExample parses an example's modules, tests included.
func parseExample(t *testing.T, sources map[string]string) map[string]*ast.Module {
	t.Helper()
	modules := map[string]*ast.Module{}
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		m, err := ast.ParseModuleWithOpts(name, sources[name], ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if err != nil {
			t.Fatal(err)
		}
		modules[name] = m
	}
	return modules
}

// TestExamplesRegoUnitTests runs each example's _test.rego as `opa test`
// and `secgate policy test` would: strict mode, built-in errors raised; alone
// (as opa test and --no-default-policies do), with the default policies
// loaded (as secgate policy test does by default), and with the findings
// schema as the type of input (as a scan compiles the policy). It fails when
// a test fails or none ran, and when a line of the policy is not covered by
// its tests.
func TestExamplesRegoUnitTests(t *testing.T) {
	for _, dir := range exampleDirs(t) {
		t.Run(dir, func(t *testing.T) {
			sources, err := LoadTestModules("", []string{filepath.Join(examplesDir, dir)})
			if err != nil {
				t.Fatal(err)
			}
			var policies, tests int
			for name := range sources {
				if strings.HasSuffix(name, "_test.rego") {
					tests++
					continue
				}
				policies++
				if _, ok := sources[strings.TrimSuffix(name, ".rego")+"_test.rego"]; !ok {
					t.Errorf("%s has no _test.rego", name)
				}
			}
			if policies == 0 || tests == 0 {
				t.Fatalf("%d policies, %d test modules", policies, tests)
			}
			defaults, err := defaultModules()
			if err != nil {
				t.Fatal(err)
			}
			for _, variant := range []string{"alone", "with the defaults", "typed"} {
				compiler := ast.NewCompiler().WithStrict(true).WithDefaultRegoVersion(ast.RegoV1)
				all := maps.Clone(sources)
				switch variant {
				case "with the defaults":
					maps.Copy(all, defaults)
				case "typed":
					compiler = compiler.WithUseTypeCheckAnnotations(true).WithSchemas(inputSchema())
				}
				modules := parseExample(t, all)
				cov := cover.New()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				ch, err := tester.NewRunner().
					SetCompiler(compiler).
					SetModules(modules).
					RaiseBuiltinErrors(true).
					SetCoverageQueryTracer(cov).
					SetTimeout(time.Minute).
					RunTests(ctx, nil)
				if err != nil {
					cancel()
					t.Fatalf("compile Rego tests (%s): %v", variant, err)
				}
				ran := 0
				for r := range ch {
					ran++
					name := r.Package + "." + r.Name
					switch {
					case r.Error != nil:
						t.Errorf("%s (%s): error: %v", name, variant, r.Error)
					case r.Fail:
						t.Errorf("%s (%s): FAIL (%s)", name, variant, r.Location)
					case r.Skip:
						t.Errorf("%s: skipped; remove the todo_ prefix", name)
					case variant == "alone":
						t.Logf("%s: PASS", name)
					}
				}
				cancel()
				if ran == 0 {
					t.Fatalf("no Rego tests ran (%s)", variant)
				}
				if variant == "typed" {
					continue
				}
				report := cov.Report(modules)
				for name, f := range report.Files {
					if _, ours := sources[name]; !ours || strings.HasSuffix(name, "_test.rego") {
						continue
					}
					for _, r := range f.NotCovered {
						t.Errorf("%s: lines %d-%d are not covered by the tests (%s)", name, r.Start.Row, r.End.Row, variant)
					}
				}
			}
		})
	}
}

// TestExamplesFormatted checks the examples are as `opa fmt` (and `secgate
// policy fmt`) writes them.
func TestExamplesFormatted(t *testing.T) {
	sources, err := LoadTestModules("", []string{examplesDir})
	if err != nil {
		t.Fatal(err)
	}
	checkFormatted(t, sources)
}

// TestExamplesLoadTogether loads every example at once with the defaults,
// as `--policy policies/examples` would, and with their data files: their
// packages and data keys do not collide.
func TestExamplesLoadTogether(t *testing.T) {
	modules, err := LoadModules("", []string{examplesDir})
	if err != nil {
		t.Fatal(err)
	}
	data, err := LoadData("", []string{examplesDir})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(context.Background(), Options{Modules: modules, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range e.policies {
		names = append(names, p.name)
	}
	for _, dir := range exampleDirs(t) {
		want := "secgate.examples." + strings.ReplaceAll(dir, "-", "_")
		if !slices.Contains(names, want) {
			t.Errorf("policies %v lack %s (the package of examples/%s)", names, want, dir)
		}
	}
}

// A mistyped field in an example would be a compile error against the
// input schema; this is the check that New runs.
func TestExamplesTypeChecked(t *testing.T) {
	modules, err := LoadModules("", []string{filepath.Join(examplesDir, "fixable-vulnerabilities")})
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range modules {
		modules[name] = strings.Replace(src, "f.rule_id", "f.rule", 1)
	}
	_, err = New(context.Background(), Options{Modules: modules, NoDefaults: true})
	if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), "fixable-vulnerabilities/policy.rego:") || !strings.Contains(err.Error(), "undefined ref: f.rule") {
		t.Fatalf("err = %v, want a type error", err)
	}
}

func exampleFinding(id string, kind findings.Kind, sev findings.Severity, path string) findings.Finding {
	f := findings.Finding{ID: id, Kind: kind, Severity: sev, Location: findings.Location{Path: path}}
	switch kind {
	case findings.KindVulnerability:
		f.Scanner, f.RuleID, f.Title = findings.ScannerDeps, "GHSA-0000-0000-0000", "advisory"
	case findings.KindSecret:
		f.Scanner, f.RuleID, f.Title = findings.ScannerSecrets, "aws-access-token", "AWS access key ID"
		f.Location.Line = 3
		f.Secret = &findings.Secret{Redacted: "AKIA…", Confidence: "high", Fingerprint: "0123456789abcdef0123456789abcdef"}
	case findings.KindMisconfiguration:
		f.Scanner, f.RuleID, f.Title = findings.ScannerContainer, "image-runs-as-root", "Image runs as root (USER unset)"
		f.Image = &findings.Image{Ref: "app:1.0"}
	}
	return f
}

func exampleVuln(id string, sev findings.Severity, eco, name, version string, fixed ...string) findings.Finding {
	f := exampleFinding(id, findings.KindVulnerability, sev, "go.mod")
	f.Package = &findings.Package{Name: name, Version: version, Ecosystem: eco}
	f.Vulnerability = &findings.Vulnerability{ID: f.RuleID, Aliases: []string{}, FixedVersions: fixed, References: []string{}}
	return f
}

// TestExamplesDecide compiles each example as custom modules (the input
// schema type check included), with its data.yaml when it has one, without
// and with the defaults, and decides a small document: what the examples'
// comments say about how they combine with the defaults.
func TestExamplesDecide(t *testing.T) {
	type outcome struct {
		result    string
		decisions map[string]string
		// deny are the policy-level deny messages (results without id).
		deny []string
	}
	mediums := func(n int) []findings.Finding {
		var fs []findings.Finding
		for i := range n {
			id := "m" + string(rune('1'+i))
			fs = append(fs, exampleVuln(id, findings.SeverityMedium, "Go", "example.com/m"+id, "1.0.0"))
		}
		return fs
	}
	lowSecret := exampleFinding("s-generic", findings.KindSecret, findings.SeverityHigh, "src/app.py")
	lowSecret.RuleID, lowSecret.Secret.Confidence = "generic-api-key", "low"
	envCred := exampleFinding("env", findings.KindMisconfiguration, findings.SeverityHigh, "image/app_1.0")
	envCred.RuleID, envCred.Title = "image-env-credential", "Image ENV DB_PASSWORD looks like a credential"

	tests := []struct {
		example  string
		findings []findings.Finding
		waivers  []findings.Waiver
		// noDefaults is the outcome with --no-default-policies,
		// defaults the outcome with the defaults loaded too.
		noDefaults, defaults outcome
		// msgs are messages the decision must contain.
		msgs []string
	}{
		{
			example: "fixable-vulnerabilities",
			findings: []findings.Finding{
				exampleVuln("high-fix", findings.SeverityHigh, "Go", "golang.org/x/text", "0.3.5", "0.3.7"),
				exampleVuln("high-nofix", findings.SeverityHigh, "Go", "github.com/dgrijalva/jwt-go", "3.2.0"),
				exampleVuln("low-fix", findings.SeverityLow, "npm", "minimist", "1.2.5", "1.2.6"),
				exampleVuln("medium-nofix", findings.SeverityMedium, "npm", "request", "2.88.2"),
				exampleFinding("secret", findings.KindSecret, findings.SeverityHigh, "config/prod.env"),
			},
			// Alone, only fixable vulnerabilities fail; the defaults
			// still deny a high one without a fix, and secrets.
			noDefaults: outcome{findings.ResultFail, map[string]string{"high-fix": "deny", "high-nofix": "warn", "low-fix": "deny", "medium-nofix": "warn", "secret": "allow"}, nil},
			defaults:   outcome{findings.ResultFail, map[string]string{"high-fix": "deny", "high-nofix": "deny", "low-fix": "deny", "medium-nofix": "warn", "secret": "deny"}, nil},
			msgs: []string{
				"GHSA-0000-0000-0000 (low) in minimist@1.2.5 (go.mod): upgrade to 1.2.6",
				"GHSA-0000-0000-0000 (medium) in request@2.88.2 (go.mod): no fix available yet",
			},
		},
		{
			example: "blocked-packages",
			findings: []findings.Finding{
				exampleVuln("jwt", findings.SeverityMedium, "Go", "github.com/dgrijalva/jwt-go", "3.2.0"),
				exampleVuln("es", findings.SeverityLow, "npm", "event-stream", "3.3.6"),
				exampleVuln("es-other", findings.SeverityLow, "npm", "event-stream", "3.3.5"),
				exampleVuln("text", findings.SeverityMedium, "Go", "golang.org/x/text", "0.3.5", "0.3.7"),
			},
			noDefaults: outcome{findings.ResultFail, map[string]string{"jwt": "deny", "es": "deny", "es-other": "allow", "text": "allow"}, nil},
			defaults:   outcome{findings.ResultFail, map[string]string{"jwt": "deny", "es": "deny", "es-other": "warn", "text": "warn"}, nil},
			msgs: []string{
				"github.com/dgrijalva/jwt-go@3.2.0 (Go) is a blocked package (go.mod): unmaintained; use github.com/golang-jwt/jwt/v5",
				"event-stream@3.3.6 (npm) is a blocked package (go.mod): compromised release (flatmap-stream), remove it",
			},
		},
		{
			// data.yaml allows 5.
			example:    "max-medium-findings",
			findings:   mediums(6),
			noDefaults: outcome{findings.ResultFail, map[string]string{"m1": "allow", "m2": "allow", "m3": "allow", "m4": "allow", "m5": "allow", "m6": "allow"}, []string{"6 medium findings, more than the 5 allowed: fix or waive at least 1"}},
			defaults:   outcome{findings.ResultFail, map[string]string{"m1": "warn", "m2": "warn", "m3": "warn", "m4": "warn", "m5": "warn", "m6": "warn"}, []string{"6 medium findings, more than the 5 allowed: fix or waive at least 1"}},
		},
		{
			// A waived finding does not count. secgate.waivers applies
			// waivers with or without the other defaults.
			example:    "max-medium-findings",
			findings:   mediums(6),
			waivers:    []findings.Waiver{{ID: "m6", Reason: "not reachable", Expires: "2099-12-31"}},
			noDefaults: outcome{findings.ResultPass, map[string]string{"m1": "allow", "m2": "allow", "m3": "allow", "m4": "allow", "m5": "allow", "m6": "allow"}, nil},
			defaults:   outcome{findings.ResultPass, map[string]string{"m1": "warn", "m2": "warn", "m3": "warn", "m4": "warn", "m5": "warn", "m6": "waived"}, nil},
		},
		{
			example: "image-runs-as-root",
			findings: []findings.Finding{
				exampleFinding("root", findings.KindMisconfiguration, findings.SeverityMedium, "Dockerfile"),
				envCred,
			},
			// The default only warns on a root image; the example's deny wins.
			noDefaults: outcome{findings.ResultFail, map[string]string{"root": "deny", "env": "allow"}, nil},
			defaults:   outcome{findings.ResultFail, map[string]string{"root": "deny", "env": "deny"}, nil},
			msgs:       []string{"app:1.0: Image runs as root (USER unset) (Dockerfile): add a non-root USER to the Dockerfile"},
		},
		{
			example: "secrets-outside-tests",
			findings: []findings.Finding{
				exampleFinding("prod", findings.KindSecret, findings.SeverityHigh, "config/prod.env"),
				exampleFinding("fixture", findings.KindSecret, findings.SeverityHigh, "internal/auth/testdata/creds.json"),
				exampleFinding("gotest", findings.KindSecret, findings.SeverityHigh, "internal/auth/token_test.go"),
				lowSecret,
			},
			// A relaxation needs --no-default-policies: the default
			// secgate.secrets denies the fixtures.
			noDefaults: outcome{findings.ResultFail, map[string]string{"prod": "deny", "fixture": "warn", "gotest": "warn", "s-generic": "warn"}, nil},
			defaults:   outcome{findings.ResultFail, map[string]string{"prod": "deny", "fixture": "deny", "gotest": "deny", "s-generic": "warn"}, nil},
			msgs:       []string{"secret (aws-access-token) in test fixture internal/auth/testdata/creds.json:3: allowed in tests, make sure it is not a real credential"},
		},
	}
	for _, tt := range tests {
		for _, noDefaults := range []bool{true, false} {
			want := tt.defaults
			name := tt.example + "/defaults"
			if noDefaults {
				want, name = tt.noDefaults, tt.example+"/no-defaults"
			}
			if len(tt.waivers) > 0 {
				name += "/waivers"
			}
			t.Run(name, func(t *testing.T) {
				dir := filepath.Join(examplesDir, tt.example)
				modules, err := LoadModules("", []string{dir})
				if err != nil {
					t.Fatal(err)
				}
				opts := Options{Modules: modules, NoDefaults: noDefaults, Waivers: tt.waivers, Today: "2026-06-01"}
				if _, err := os.Stat(filepath.Join(dir, "data.yaml")); err == nil {
					if opts.Data, err = LoadData("", []string{filepath.Join(dir, "data.yaml")}); err != nil {
						t.Fatal(err)
					}
				}
				e, err := New(context.Background(), opts)
				if err != nil {
					t.Fatal(err)
				}
				doc := document(slices.Clone(tt.findings)...)
				dec, err := decideAndApply(e, doc)
				if err != nil {
					t.Fatal(err)
				}
				if dec.Result != want.result {
					t.Errorf("result %s, want %s", dec.Result, want.result)
				}
				if got := decisions(doc); !equalMaps(got, want.decisions) {
					t.Errorf("decisions %v, want %v", got, want.decisions)
				}
				var docDeny []string
				for _, r := range dec.Deny {
					if r.ID == "" {
						docDeny = append(docDeny, r.Msg)
					}
				}
				if !slices.Equal(docDeny, want.deny) {
					t.Errorf("policy-level deny %q, want %q", docDeny, want.deny)
				}
				var all []string
				for _, rs := range [][]findings.PolicyResult{dec.Deny, dec.Warn, dec.Waived} {
					for _, r := range rs {
						all = append(all, r.Msg)
					}
				}
				for _, m := range tt.msgs {
					if !slices.Contains(all, m) {
						t.Errorf("results %q lack %q", all, m)
					}
				}
				// The example's results carry its METADATA.
				prefix := "secgate.examples."
				for _, rs := range [][]findings.PolicyResult{dec.Deny, dec.Warn} {
					for _, r := range rs {
						if strings.HasPrefix(r.Policy, prefix) && (r.Rule == nil || !strings.HasPrefix(r.Rule.ID, "EX-") || r.Rule.Title == "") {
							t.Errorf("%s result %q has rule %+v, want the example's METADATA", r.Policy, r.Msg, r.Rule)
						}
					}
				}
			})
		}
	}
}
