package reachability

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	osvschema "github.com/ossf/osv-schema/bindings/go/osvschema"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/reachtest"
)

// records are the real advisories of golang.org/x/text v0.3.5 in the test
// database, as the scanner hands them over.
func records(t *testing.T) []*osvschema.Vulnerability {
	t.Helper()
	var out []*osvschema.Vulnerability
	for _, id := range []string{"GO-2021-0113", "GHSA-ppp9-7jff-5vj2", "GO-2022-1059"} {
		file := filepath.Join("..", "testdata", "osv", "Go", id+".json")
		if id == "GO-2022-1059" { // see testdata/reach/README.md
			file = filepath.Join("..", "testdata", "reach", id+".json")
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		v := &osvschema.Vulnerability{}
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		out = append(out, v)
	}
	return out
}

// xtextFindings are the two findings secgate makes for golang.org/x/text
// v0.3.5 (GO-2021-0113 grouping its GHSA alias, and GO-2022-1059).
func xtextFindings() []*findings.Finding {
	pkg := &findings.Package{Name: "golang.org/x/text", Version: "0.3.5", Ecosystem: "Go"}
	return []*findings.Finding{
		{RuleID: "GO-2021-0113", Package: pkg, Vulnerability: &findings.Vulnerability{ID: "GO-2021-0113", Aliases: []string{"CVE-2021-38561", "GHSA-ppp9-7jff-5vj2"}}},
		{RuleID: "GO-2022-1059", Package: pkg, Vulnerability: &findings.Vulnerability{ID: "GO-2022-1059", Aliases: []string{"CVE-2022-32149", "GHSA-69ch-w2m2-3vjp"}}},
	}
}

// advisorySymbols are the vulnerable symbols the advisories name
// (ecosystem_specific.imports of golang.org/x/text/language).
var advisorySymbols = map[string][]string{
	"GO-2021-0113": {"language.MatchStrings", "language.MustParse", "language.Parse", "language.ParseAcceptLanguage"},
	"GO-2022-1059": {"language.MatchStrings", "language.ParseAcceptLanguage"},
}

// TestSourceAndBinary analyzes two real programs built against
// golang.org/x/text v0.3.5, one calling language.ParseAcceptLanguage and
// one using only language.English, from source and as binaries.
func TestSourceAndBinary(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	ctx := context.Background()
	vulns := records(t)
	tests := []struct {
		program string
		status  string
		symbols []string
		trace   []string // source mode
	}{
		{"accept", findings.ReachCalled, []string{"language.ParseAcceptLanguage"}, []string{"accept.main", "accept.languages", "language.ParseAcceptLanguage"}},
		{"english", findings.ReachImported, nil, nil},
	}
	for _, tc := range tests {
		dir := reachtest.Module(t, tc.program)
		bin := reachtest.Build(t, dir)
		for _, mode := range []string{findings.ReachSource, findings.ReachBinary} {
			t.Run(tc.program+"/"+mode, func(t *testing.T) {
				a := New(Options{Offline: true})
				fs := xtextFindings()
				var warnings []string
				if mode == findings.ReachSource {
					warnings = a.Source(ctx, tc.program, dir, vulns, fs)
				} else {
					warnings = a.Binary(ctx, "bin/"+tc.program, bin, vulns, fs)
				}
				if len(warnings) > 0 {
					t.Errorf("warnings: %q", warnings)
				}
				for _, f := range fs {
					r := f.Reachability
					if r == nil {
						t.Fatalf("%s: no reachability", f.RuleID)
					}
					if r.Status != tc.status || r.Mode != mode {
						t.Errorf("%s: %s in %s mode (%s), want %s in %s mode", f.RuleID, r.Status, r.Mode, r.Reason, tc.status, mode)
					}
					// A binary holds what the called symbols call in turn
					// (ParseAcceptLanguage calls Parse); source mode names
					// the symbols the program's own code reaches first.
					for _, want := range tc.symbols {
						if !slices.Contains(r.Symbols, want) {
							t.Errorf("%s: symbols %q, want %s among them", f.RuleID, r.Symbols, want)
						}
					}
					for _, got := range r.Symbols {
						if !slices.Contains(advisorySymbols[f.RuleID], got) {
							t.Errorf("%s: symbol %s is not one of the advisory's", f.RuleID, got)
						}
					}
					if len(tc.symbols) == 0 && len(r.Symbols) > 0 {
						t.Errorf("%s: symbols %q, want none", f.RuleID, r.Symbols)
					}
					wantTrace := tc.trace
					if mode == findings.ReachBinary {
						wantTrace = nil
					}
					if !slices.Equal(r.Trace, wantTrace) {
						t.Errorf("%s: trace %q, want %q", f.RuleID, r.Trace, wantTrace)
					}
				}
			})
		}
	}
}

// TestUnknown: what cannot be analyzed is unknown, with the reason said
// on stderr, never a status guessed.
func TestUnknown(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	ctx := context.Background()
	notBinary := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(notBinary, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A module whose dependency is neither vendored nor in a module cache
	// that offline analysis may not fill.
	missing := t.TempDir()
	if err := os.WriteFile(filepath.Join(missing, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n\nrequire golang.org/x/text v0.3.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(missing, "main.go"), []byte("package main\n\nimport _ \"golang.org/x/text/language\"\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		run  func(a *Analyzer, fs []*findings.Finding) []string
	}{
		{"not a Go binary", func(a *Analyzer, fs []*findings.Finding) []string {
			return a.Binary(ctx, "app", notBinary, records(t), fs)
		}},
		{"dependencies not available offline", func(a *Analyzer, fs []*findings.Finding) []string {
			a.opts.Env = append(os.Environ(), "GOMODCACHE="+t.TempDir(), "GOFLAGS=-mod=mod")
			return a.Source(ctx, "m/go.mod", missing, records(t), fs)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := New(Options{Offline: true})
			fs := xtextFindings()
			warnings := tc.run(a, fs)
			for _, f := range fs {
				if f.Reachability == nil || f.Reachability.Status != findings.ReachUnknown || f.Reachability.Reason == "" {
					t.Fatalf("%s: %+v, want unknown with a reason", f.RuleID, f.Reachability)
				}
				if strings.Contains(f.Reachability.Reason, missing) {
					t.Errorf("%s: reason %q names this machine's directory", f.RuleID, f.Reachability.Reason)
				}
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "reachability of") {
				t.Errorf("warnings %q, want one saying so", warnings)
			}
			t.Logf("%s", warnings)
		})
	}
}
