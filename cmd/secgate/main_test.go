package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/schematest"
)

const repoRoot = "../.."

var (
	offlineDB = filepath.Join(repoRoot, "testdata", "osvdb")
	lockfiles = filepath.Join(repoRoot, "testdata", "lockfiles")
	example   = filepath.Join(repoRoot, "testdata", "example")
)

type result struct {
	code           int
	stdout, stderr string
}

// secgate runs the command line in-process.
func secgate(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

func decode(t *testing.T, data string) findings.Document {
	t.Helper()
	var doc findings.Document
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, data)
	}
	return doc
}

// The spine's acceptance case: golang.org/x/text v0.3.5 against a DB holding
// GO-2021-0113 fails the gate with that advisory and its fix; v0.3.7 passes.
func TestScanGoTextVulnerableAndFixed(t *testing.T) {
	r := secgate(t, "scan", "--offline-db", offlineDB, "--format", "json", filepath.Join(lockfiles, "go-vulnerable"))
	if r.code != exitDenied {
		t.Fatalf("exit %d, want %d\nstderr: %s", r.code, exitDenied, r.stderr)
	}
	schematest.Validate(t, schematest.Findings(t), []byte(r.stdout))
	doc := decode(t, r.stdout)
	if len(doc.Findings) != 1 {
		t.Fatalf("%d findings, want 1: %s", len(doc.Findings), r.stdout)
	}
	f := doc.Findings[0]
	if f.RuleID != "GO-2021-0113" || f.Vulnerability.ID != "GO-2021-0113" || f.Kind != findings.KindVulnerability || f.Scanner != findings.ScannerDeps {
		t.Errorf("finding %s/%s/%s/%s, want GO-2021-0113 vulnerability from deps", f.RuleID, f.Vulnerability.ID, f.Kind, f.Scanner)
	}
	if p := f.Package; p.Name != "golang.org/x/text" || p.Version != "0.3.5" || p.Ecosystem != "Go" || p.PURL != "pkg:golang/golang.org/x/text@0.3.5" {
		t.Errorf("package %+v", p)
	}
	if got := f.Vulnerability.FixedVersions; len(got) != 1 || got[0] != "0.3.7" {
		t.Errorf("fixed versions %v, want [0.3.7]", got)
	}
	for _, alias := range []string{"GHSA-ppp9-7jff-5vj2", "CVE-2021-38561"} {
		if !strings.Contains(strings.Join(f.Vulnerability.Aliases, " "), alias) {
			t.Errorf("aliases %v lack %s", f.Vulnerability.Aliases, alias)
		}
	}
	if f.Severity != findings.SeverityHigh || f.CVSS == nil || f.CVSS.Score != 7.5 {
		t.Errorf("severity %s %+v, want high 7.5 from the GHSA alias", f.Severity, f.CVSS)
	}
	if f.Location.Path != "go.mod" || f.Location.Line != 5 {
		t.Errorf("location %+v, want go.mod:5", f.Location)
	}
	if f.Decision != findings.DecisionDeny || doc.Decision.Result != findings.ResultFail || len(doc.Decision.Deny) != 1 || doc.Decision.Deny[0].ID != f.ID {
		t.Errorf("decision %+v / %s, want a deny of the finding", doc.Decision, f.Decision)
	}
	if !strings.Contains(r.stderr, "FAIL") || !strings.Contains(r.stderr, "GO-2021-0113") {
		t.Errorf("summary does not give the decision and its reason:\n%s", r.stderr)
	}

	r = secgate(t, "scan", "--offline-db", offlineDB, "--format", "json", filepath.Join(lockfiles, "go-fixed"))
	if r.code != exitPass {
		t.Fatalf("fixed version: exit %d, want 0\nstderr: %s", r.code, r.stderr)
	}
	if doc := decode(t, r.stdout); len(doc.Findings) != 0 || doc.Decision.Result != findings.ResultPass {
		t.Errorf("fixed version: %d findings, result %s", len(doc.Findings), doc.Decision.Result)
	}
}

// Errors are exit 2 with a message naming the input.
func TestScanErrors(t *testing.T) {
	onlyGo := t.TempDir()
	if err := os.CopyFS(filepath.Join(onlyGo, "Go"), os.DirFS(filepath.Join(offlineDB, "Go"))); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"malformed lockfile", []string{"scan", "--offline-db", offlineDB, filepath.Join(lockfiles, "malformed")}, []string{"package-lock.json"}},
		{"malformed Cargo.lock", []string{"scan", "--offline-db", offlineDB, filepath.Join(lockfiles, "malformed-cargo")}, []string{"Cargo.lock"}},
		{"missing ecosystem DB", []string{"scan", "--offline-db", onlyGo, filepath.Join(lockfiles, "pypi-vulnerable")}, []string{"PyPI", filepath.Join(onlyGo, "PyPI", "all.zip")}},
		{"missing path", []string{"scan", "--offline-db", offlineDB, filepath.Join(lockfiles, "no-such-dir")}, []string{"no-such-dir"}},
		{"bad --fail-on", []string{"scan", "--fail-on", "severe", example}, []string{"--fail-on", "severe"}},
		{"bad --format", []string{"scan", "--format", "xml", example}, []string{"xml", "sarif"}},
		{"unknown flag", []string{"scan", "--frobnicate"}, []string{"frobnicate"}},
		{"too many args", []string{"scan", "a", "b"}, []string{"accepts at most 1 arg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := secgate(t, tt.args...)
			if r.code != exitError {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, exitError, r.stdout, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("a failed scan wrote a report:\n%s", r.stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not name %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}

// Every format is byte-identical across runs, SARIF validates against the
// OASIS schema and JSON against the findings schema.
func TestReportsDeterministicAndValid(t *testing.T) {
	for _, format := range []string{"table", "json", "sarif"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "report")
			first := secgate(t, "scan", "--offline-db", offlineDB, "--format", format, "--output", out, "--quiet", example)
			if first.code != exitDenied {
				t.Fatalf("exit %d, want 1: %s", first.code, first.stderr)
			}
			if first.stderr != "" || first.stdout != "" {
				t.Errorf("--quiet --output printed:\nstdout: %s\nstderr: %s", first.stdout, first.stderr)
			}
			a, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			second := secgate(t, "scan", "--offline-db", offlineDB, "--format", format, example)
			if second.stdout != string(a) {
				t.Errorf("two runs differ:\n--- first ---\n%s\n--- second ---\n%s", a, second.stdout)
			}
			switch format {
			case "json":
				schematest.Validate(t, schematest.Findings(t), a)
			case "sarif":
				schematest.Validate(t, schematest.SARIF(t, repoRoot), a)
			}
		})
	}
}

// --output replaces a longer file instead of leaving its tail.
func TestOutputTruncates(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(out, bytes.Repeat([]byte("x"), 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "-o", out, "-q", filepath.Join(lockfiles, "go-fixed"))
	if r.code != exitPass {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	decode(t, string(data))
}

func TestFailOn(t *testing.T) {
	// The example's findings: critical 9.8, high 7.5 and 7.2, medium 6.1
	// and 5.3.
	tests := []struct {
		failOn   string
		wantCode int
		denied   int
	}{
		{"critical", exitDenied, 1},
		{"high", exitDenied, 3},
		{"medium", exitDenied, 5},
		{"low", exitDenied, 5},
	}
	for _, tt := range tests {
		t.Run(tt.failOn, func(t *testing.T) {
			r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "--fail-on", tt.failOn, example)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d: %s", r.code, tt.wantCode, r.stderr)
			}
			doc := decode(t, r.stdout)
			if len(doc.Decision.Deny) != tt.denied || len(doc.Decision.Deny)+len(doc.Decision.Warn) != len(doc.Findings) {
				t.Errorf("%d denied, %d warned of %d findings; want %d denied, the rest warned", len(doc.Decision.Deny), len(doc.Decision.Warn), len(doc.Findings), tt.denied)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	r := secgate(t, "--help")
	if r.code != exitPass || !strings.Contains(r.stdout, "Exit codes:") || !strings.Contains(r.stdout, "1  the policy denied") {
		t.Errorf("--help: exit %d, output lacks the exit codes:\n%s", r.code, r.stdout)
	}
	r = secgate(t, "scan", "--help")
	if !strings.Contains(r.stdout, "Exit codes:") || !strings.Contains(r.stdout, "--offline-db") {
		t.Errorf("scan --help lacks exit codes or --offline-db:\n%s", r.stdout)
	}
	r = secgate(t, "version")
	if r.code != exitPass || !strings.HasPrefix(r.stdout, "secgate ") {
		t.Errorf("version: exit %d, %q", r.code, r.stdout)
	}
}
