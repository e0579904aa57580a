package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/osv"
)

// In GitHub Actions: annotations on stderr (stdout holds the report), the
// Markdown summary appended to GITHUB_STEP_SUMMARY, outputs in GITHUB_OUTPUT.
func TestGitHubActions(t *testing.T) {
	dir := t.TempDir()
	outputs, summary := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	write(t, summary, "earlier step\n")
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", outputs)
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	sarif := filepath.Join(dir, "secgate.sarif")

	r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "sarif", "-o", sarif, "-f", "table", copyExample(t))
	if r.code != exitDenied {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "::error file=package-lock.json,line=30,title=GHSA-xvch-5gv4-984h") {
		t.Errorf("no error annotation for minimist:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "::warning file=requirements.txt,line=4") {
		t.Errorf("no warning annotation for requests:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout, "::") {
		t.Errorf("workflow commands on stdout:\n%s", r.stdout)
	}
	out, _ := os.ReadFile(outputs)
	for _, want := range []string{"result=fail\n", "exit-code=1\n", "findings=5\n", "sarif-file=" + sarif + "\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, out)
		}
	}
	sum, _ := os.ReadFile(summary)
	if !strings.HasPrefix(string(sum), "earlier step\n") || !strings.Contains(string(sum), "<!-- secgate -->") || !strings.Contains(string(sum), "FAIL") {
		t.Errorf("step summary:\n%s", sum)
	}

	// An error still sets the outputs: result=error, exit-code=2.
	os.Remove(outputs)
	r = secgate(t, "scan", "--offline-db", offlineDB, filepath.Join(lockfiles, "malformed"))
	out, _ = os.ReadFile(outputs)
	if r.code != exitError || !strings.Contains(string(out), "result=error\nexit-code=2\n") {
		t.Errorf("error: exit %d, outputs:\n%s", r.code, out)
	}
}

// Annotations name files relative to the repository root (the working
// directory in CI), as SARIF does, also when a subdirectory is scanned.
func TestGitHubActionsSubdirectory(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", "")
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	db := absOfflineDB(t)
	t.Chdir(repoRoot)
	r := secgate(t, "scan", "--offline-db", db, "-q", filepath.Join("testdata", "example"))
	if !strings.Contains(r.stderr, "::error file=testdata/example/package-lock.json,line=30,") {
		t.Errorf("annotation not relative to the working directory:\n%s", r.stderr)
	}
}

// --baseline: the same tree passes (everything is existing); a new
// vulnerable dependency fails, and only it is denied.
func TestBaseline(t *testing.T) {
	dir := copyExample(t)
	base := filepath.Join(t.TempDir(), "base.json")
	if r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "-o", base, "-q", dir); r.code != exitDenied {
		t.Fatalf("baseline scan: exit %d: %s", r.code, r.stderr)
	}
	r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "--baseline", base, dir)
	if r.code != exitPass {
		t.Fatalf("same tree against its baseline: exit %d: %s", r.code, r.stderr)
	}
	for _, f := range decode(t, r.stdout).Findings {
		if f.Baseline != findings.BaselineExisting || f.Decision == findings.DecisionDeny {
			t.Errorf("%s: baseline %s decision %s", f.RuleID, f.Baseline, f.Decision)
		}
	}
	// A new vulnerable dependency: Cargo.lock with smallvec 1.6.0 (9.8).
	data, err := os.ReadFile(filepath.Join(lockfiles, "cargo-vulnerable", "Cargo.lock"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "Cargo.lock"), string(data))
	r = secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "--baseline", base, dir)
	if r.code != exitDenied {
		t.Fatalf("new dependency: exit %d: %s", r.code, r.stderr)
	}
	doc := decode(t, r.stdout)
	for _, f := range doc.Findings {
		isNew := f.Location.Path == "Cargo.lock"
		if (f.Baseline == findings.BaselineNew) != isNew {
			t.Errorf("%s in %s: baseline %s", f.RuleID, f.Location.Path, f.Baseline)
		}
		if !isNew && f.Decision == findings.DecisionDeny {
			t.Errorf("existing %s denied", f.RuleID)
		}
	}
	for _, d := range doc.Decision.Deny {
		if !strings.Contains(d.Msg, "Cargo.lock") {
			t.Errorf("denied %q, which is not new", d.Msg)
		}
	}
	if len(doc.Decision.Deny) == 0 {
		t.Error("the new critical vulnerability is not denied")
	}
	if r = secgate(t, "scan", "--offline-db", offlineDB, "--baseline", filepath.Join(dir, "nope.json"), dir); r.code != exitError {
		t.Errorf("missing baseline: exit %d", r.code)
	}
}

func TestSeveralOutputs(t *testing.T) {
	dir := t.TempDir()
	s, j, x := filepath.Join(dir, "r.sarif"), filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "sarif", "-o", s, "-f", "json", "-o", j, "-f", "junit", "-o", x, "-f", "table", example)
	if r.code != exitDenied || !strings.Contains(r.stdout, "DECISION") {
		t.Fatalf("exit %d, stdout:\n%s", r.code, r.stdout)
	}
	for _, p := range []string{s, j, x} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s not written", p)
		}
	}
	data, _ := os.ReadFile(x)
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatalf("junit is not XML: %v", err)
	}
	if suites.Tests != 5 || suites.Failures != 3 {
		t.Errorf("junit: %d tests, %d failures; want 5 and 3", suites.Tests, suites.Failures)
	}
	if r = secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "-f", "table", example); r.code != exitError {
		t.Errorf("two formats to stdout: exit %d", r.code)
	}
	if r = secgate(t, "scan", "--offline-db", offlineDB, "-o", s, "-o", j, example); r.code != exitError {
		t.Errorf("two outputs, one format: exit %d", r.code)
	}
}

func TestConfigFile(t *testing.T) {
	dir := copyExample(t)
	copyDB(t, filepath.Join(dir, "osvdb"))
	write(t, filepath.Join(dir, ".secgate.yaml"), "fail-on: critical\nscanners: [deps]\noffline-db: osvdb\n")
	r := secgate(t, "scan", "-f", "json", dir)
	doc := decode(t, r.stdout)
	if r.code != exitDenied || len(doc.Decision.Deny) != 1 || len(doc.Scans) != 1 {
		t.Errorf("config: exit %d, %d denied, scans %+v; want only the critical denied, deps only", r.code, len(doc.Decision.Deny), doc.Scans)
	}
	// Flags win over the file.
	r = secgate(t, "scan", "-f", "json", "--fail-on", "high", dir)
	if doc = decode(t, r.stdout); len(doc.Decision.Deny) != 3 {
		t.Errorf("--fail-on high over the file: %d denied, want 3", len(doc.Decision.Deny))
	}
	write(t, filepath.Join(dir, ".secgate.yaml"), "fail-on: critical\nfial-on: low\n")
	if r = secgate(t, "scan", dir); r.code != exitError || !strings.Contains(r.stderr, "fial-on") {
		t.Errorf("unknown key: exit %d: %s", r.code, r.stderr)
	}
	// A configuration the pipeline names (--config) may name files
	// anywhere.
	other := filepath.Join(t.TempDir(), "ci.yaml")
	write(t, other, "fail-on: medium\noffline-db: "+absOfflineDB(t)+"\nscanners: [deps]\n")
	r = secgate(t, "scan", "-f", "json", "--config", other, example)
	if doc = decode(t, r.stdout); len(doc.Decision.Deny) != 5 {
		t.Errorf("--config: %d denied, want 5", len(doc.Decision.Deny))
	}
}

func TestDBDownload(t *testing.T) {
	var breakGo atomic.Bool
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		eco := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/all.zip")
		if eco == "Hex" || (eco == "Go" && breakGo.Load()) {
			w.Write([]byte("not a zip"))
			return
		}
		http.ServeFile(w, r, filepath.Join(offlineDB, eco, "all.zip"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	r := secgate(t, "db", "download", "--exploit-data=false", "--dir", dir, "--ecosystems", "Go,npm", "--url", srv.URL)
	if r.code != exitPass || !strings.Contains(r.stdout, "Go: ") {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	// The downloaded database works offline, and records its fetches.
	if r = secgate(t, "scan", "--offline-db", dir, "--scanners", "deps", "--max-db-age", "7d", filepath.Join(lockfiles, "go-vulnerable")); r.code != exitDenied || strings.Contains(r.stderr, "max-db-age") {
		t.Errorf("scan with the downloaded DB: exit %d: %s", r.code, r.stderr)
	}
	for _, eco := range []string{"Go", "npm"} {
		if rec, err := osv.ReadRecord(dir); err != nil || rec.Ecosystems[eco].URL != srv.URL+"/"+eco+"/all.zip" || time.Since(rec.Ecosystems[eco].FetchedAt) > time.Hour {
			t.Errorf("fetch record of %s: %+v, %v", eco, rec, err)
		}
	}
	if r = secgate(t, "db", "download", "--exploit-data=false", "--dir", dir, "--ecosystems", "Hex", "--url", srv.URL); r.code != exitError || !strings.Contains(r.stderr, "not a zip") || !strings.Contains(r.stderr, "download OSV database Hex: GET "+srv.URL+"/Hex/all.zip") {
		t.Errorf("broken zip: exit %d: %s", r.code, r.stderr)
	}
	// A bad download keeps the database in place.
	before, err := os.ReadFile(filepath.Join(dir, "Go", "all.zip"))
	if err != nil {
		t.Fatal(err)
	}
	breakGo.Store(true)
	if r = secgate(t, "db", "download", "--exploit-data=false", "--dir", dir, "--ecosystems", "Go", "--url", srv.URL); r.code != exitError {
		t.Errorf("broken Go zip: exit %d", r.code)
	}
	if after, err := os.ReadFile(filepath.Join(dir, "Go", "all.zip")); err != nil || !bytes.Equal(before, after) {
		t.Errorf("a failed download replaced Go/all.zip (err %v)", err)
	}
	if r = secgate(t, "db", "download", "--exploit-data=false", "--dir", dir, "--ecosystems", "Hackage", "--url", srv.URL); r.code != exitError || !strings.Contains(r.stderr, "404 Not Found") {
		t.Errorf("404: exit %d: %s", r.code, r.stderr)
	}
	// Names are OSV's, checked before any download.
	requests.Store(0)
	if r = secgate(t, "db", "download", "--exploit-data=false", "--dir", dir, "--ecosystems", "npm,go", "--url", srv.URL); r.code != exitError || !strings.Contains(r.stderr, `"go" (did you mean "Go"?)`) || requests.Load() != 0 {
		t.Errorf("go for Go: exit %d after %d requests: %s", r.code, requests.Load(), r.stderr)
	}
	if r = secgate(t, "db", "download", "--exploit-data=false", "--dir", dir, "--ecosystems", "Go", "--attempts", "0", "--url", srv.URL); r.code != exitError {
		t.Errorf("--attempts 0: exit %d", r.code)
	}
}

// --max-db-age warns of each ecosystem file the scan uses that was fetched
// longer ago, in the report's scan warnings and on stderr (with --quiet
// too), and never changes the exit code by itself.
func TestMaxDBAge(t *testing.T) {
	db := t.TempDir()
	copyDB(t, db)
	goZip := filepath.Join(db, "Go", "all.zip")
	fi, err := os.Stat(goZip)
	if err != nil {
		t.Fatal(err)
	}
	fetched := time.Now().Add(-(10*24 + 3) * time.Hour).UTC().Truncate(time.Second)
	write(t, filepath.Join(db, osv.RecordFile), fmt.Sprintf(`{"version": 1, "ecosystems": {"Go": {"fetched_at": %q, "url": "x", "size": %d}}}`, fetched.Format(time.RFC3339), fi.Size()))
	target := filepath.Join(lockfiles, "go-vulnerable")
	stale := func(doc findings.Document) (ws []string) {
		for _, s := range doc.Scans {
			for _, w := range s.Warnings {
				if strings.Contains(w, "--max-db-age") {
					ws = append(ws, w)
				}
			}
		}
		return ws
	}
	tests := []struct {
		name string
		args []string
		want string // in the warning; "" for none
	}{
		{name: "off by default", args: nil},
		{name: "fresh enough", args: []string{"--max-db-age", "11d"}},
		{name: "stale by the record", args: []string{"--max-db-age", "7d"}, want: "the offline OSV database of Go is 10d3h old (fetched " + fetched.Format(time.RFC3339) + "), older than --max-db-age 7d"},
		{name: "in hours", args: []string{"--max-db-age", "168h"}, want: "older than --max-db-age 7d"},
		{name: "quiet", args: []string{"--max-db-age", "7d", "--quiet"}, want: "of Go is 10d3h old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := secgate(t, append([]string{"scan", "--offline-db", db, "--scanners", "deps", "-f", "json", target}, tt.args...)...)
			if r.code != exitDenied {
				t.Fatalf("exit %d, want %d (as without --max-db-age): %s", r.code, exitDenied, r.stderr)
			}
			ws := stale(decode(t, r.stdout))
			if tt.want == "" {
				if len(ws) > 0 || strings.Contains(r.stderr, "max-db-age") {
					t.Errorf("warnings %q, stderr %s; want none", ws, r.stderr)
				}
				return
			}
			if len(ws) != 1 || !strings.Contains(ws[0], tt.want) {
				t.Errorf("warnings %q, want one holding %q", ws, tt.want)
			}
			if n := strings.Count(r.stderr, tt.want); n != 1 {
				t.Errorf("stderr holds the warning %d times, want once:\n%s", n, r.stderr)
			}
		})
	}
	// Without a record of it, a file is dated by its modification time.
	if err := os.Remove(filepath.Join(db, osv.RecordFile)); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-30 * 24 * time.Hour)
	if err := os.Chtimes(goZip, old, old); err != nil {
		t.Fatal(err)
	}
	r := secgate(t, "scan", "--offline-db", db, "--scanners", "deps", "-f", "json", "--max-db-age", "7d", target)
	if ws := stale(decode(t, r.stdout)); r.code != exitDenied || len(ws) != 1 || !strings.Contains(ws[0], "of Go is 30d old (by its file's modification time") {
		t.Errorf("no record: exit %d, warnings %q", r.code, ws)
	}
	// .secgate.yaml can set it, as any scan flag.
	dir := copyExample(t)
	write(t, filepath.Join(dir, ".secgate.yaml"), "max-db-age: 7d\nscanners: [deps]\noffline-db: "+db+"\n")
	r = secgate(t, "scan", "-f", "json", "--config", filepath.Join(dir, ".secgate.yaml"), dir)
	if ws := stale(decode(t, r.stdout)); len(ws) != 1 || !strings.Contains(r.stderr, "max-db-age=7d") {
		t.Errorf("from the config file: warnings %q: %s", ws, r.stderr)
	}
	if r = secgate(t, "scan", "--offline-db", db, "--max-db-age", "a week", target); r.code != exitError || !strings.Contains(r.stderr, "max-db-age") {
		t.Errorf("invalid --max-db-age: exit %d: %s", r.code, r.stderr)
	}
}

// --exclude leaves a directory out of the dependency scan (osv-scanner's
// walk and the npm reader alike) and of the secret scan (tree and history);
// .secgate.yaml can hold it.
func TestExclude(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := copyExample(t)
	fixtures := filepath.Join(dir, "fixtures", "app")
	if err := os.MkdirAll(fixtures, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, lock := range []string{"cargo-vulnerable/Cargo.lock", "npm-v3-vulnerable/package-lock.json"} {
		data, err := os.ReadFile(filepath.Join(lockfiles, filepath.FromSlash(lock)))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(fixtures, filepath.Base(lock)), string(data))
	}
	write(t, filepath.Join(fixtures, "config.go"), "package app\n\nconst awsKey = \""+awsKey+"\"\n")
	runGit(t, dir, "init", "-q", "-b", "main")
	runGit(t, dir, "config", "user.email", "dev@example.com")
	runGit(t, dir, "config", "user.name", "Dev")
	runGit(t, dir, "add", ".")
	runGit(t, dir, "commit", "-q", "-m", "fixtures")

	under := func(doc findings.Document) (n int) {
		for _, f := range doc.Findings {
			if strings.HasPrefix(f.Location.Path, "fixtures/") {
				n++
			}
		}
		return n
	}
	all := decode(t, secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", dir).stdout)
	paths := map[string]bool{}
	for _, f := range all.Findings {
		paths[f.Location.Path] = true
	}
	for _, p := range []string{"fixtures/app/Cargo.lock", "fixtures/app/package-lock.json", "fixtures/app/config.go"} {
		if !paths[p] {
			t.Fatalf("no finding in %s: the test proves nothing", p)
		}
	}
	cases := [][]string{
		{"--exclude", "fixtures"},
		{"--exclude", "fixtures/app/", "--exclude", "nothing/here"},
		{"--history", "--exclude", "fixtures"},
	}
	for _, args := range cases {
		r := secgate(t, append([]string{"scan", "--offline-db", offlineDB, "-f", "json"}, append(args, dir)...)...)
		if r.code == exitError {
			t.Fatalf("%v: %s", args, r.stderr)
		}
		if doc := decode(t, r.stdout); under(doc) != 0 || (args[0] != "--history" && len(doc.Findings) == 0) {
			t.Errorf("%v: %d findings, %d under fixtures/", args, len(doc.Findings), under(doc))
		}
	}
	// Without --exclude, history finds the key in fixtures/.
	if doc := decode(t, secgate(t, "scan", "-f", "json", "--history", dir).stdout); under(doc) == 0 {
		t.Error("history scan without --exclude misses fixtures/")
	}
	copyDB(t, filepath.Join(dir, "osvdb"))
	write(t, filepath.Join(dir, ".secgate.yaml"), "exclude: [fixtures, osvdb]\noffline-db: osvdb\n")
	if doc := decode(t, secgate(t, "scan", "-f", "json", dir).stdout); under(doc) != 0 || len(doc.Findings) != len(all.Findings)-under(all) {
		t.Errorf("exclude from .secgate.yaml: %d findings, %d under fixtures/", len(doc.Findings), under(doc))
	}
	for _, bad := range []string{"/etc", "../x", "."} {
		if r := secgate(t, "scan", "--offline-db", offlineDB, "--exclude", bad, dir); r.code != exitError || !strings.Contains(r.stderr, "exclude") {
			t.Errorf("--exclude %s: exit %d: %s", bad, r.code, r.stderr)
		}
	}
}

// Relative paths in a configuration file are relative to its directory.
func TestConfigPaths(t *testing.T) {
	dir := copyExample(t)
	db := absOfflineDB(t)
	if err := os.CopyFS(filepath.Join(dir, "ci", "osvdb"), os.DirFS(db)); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "ci", "secgate.yaml"), "offline-db: osvdb\nscanners: [deps]\noutput: [out/report.json]\nformat: [json]\n")
	if err := os.Mkdir(filepath.Join(dir, "ci", "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := secgate(t, "scan", "--config", filepath.Join(dir, "ci", "secgate.yaml"), dir)
	if r.code != exitDenied {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "ci", "out", "report.json")); err != nil {
		t.Errorf("output not relative to the config file: %v", err)
	}
	for _, tc := range []struct{ key, in, want string }{
		{"policy", "team/", filepath.Join("/cfg", "team")},
		{"policy-bundle", "https://example.com/b.tar.gz", "https://example.com/b.tar.gz"},
		{"image", "alpine:3.20", "alpine:3.20"},
		{"image", "oci:layout", "oci:" + filepath.Join("/cfg", "layout")},
		{"fail-on", "high", "high"},
		{"exclude", "testdata", "testdata"},
		{"waivers", "/abs/w.yaml", "/abs/w.yaml"},
	} {
		if got := resolveConfigPath(tc.key, tc.in, "/cfg"); got != tc.want {
			t.Errorf("%s: %q -> %q, want %q", tc.key, tc.in, got, tc.want)
		}
	}
}

// The repository passes its own gate, as the example workflow runs it
// (.secgate.yaml leaves testdata/ out): no secret planted in a source file,
// every test secret assembled at run time.
func TestRepositoryPassesItsOwnGate(t *testing.T) {
	r := secgate(t, "scan", "--offline-db", offlineDB, "--fail-on", "high", "-f", "json", repoRoot)
	if r.code != exitPass {
		for _, f := range decode(t, r.stdout).Findings {
			t.Errorf("%s %s at %s:%d", f.Decision, f.RuleID, f.Location.Path, f.Location.Line)
		}
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

// GitLab reports carry the scan's times (the schema requires them);
// SOURCE_DATE_EPOCH pins them, so the reports are byte-identical.
func TestGitLabTimes(t *testing.T) {
	// The dependency report goes to a file, the secrets report to stdout.
	scan := func() string {
		r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "gitlab", "-o", filepath.Join(t.TempDir(), "deps.json"), "-f", "gitlab-secrets", example)
		if r.code != exitDenied {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		return r.stdout
	}
	out := scan()
	if strings.Contains(out, `"start_time": "1970-01-01T00:00:00"`) || !strings.Contains(out, `"start_time": "20`) {
		t.Errorf("the scan's time is not in the report:\n%.400s", out)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600") // 2026-01-01
	a, b := scan(), scan()
	if a != b || !strings.Contains(a, `"start_time": "2026-01-01T00:00:00"`) || !strings.Contains(a, `"end_time": "2026-01-01T00:00:00"`) {
		t.Errorf("SOURCE_DATE_EPOCH: reports differ or times not pinned:\n%.600s", a)
	}
}

// copyExample copies the bundled example into a temporary directory.
func copyExample(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(example)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// absOfflineDB is the test database's absolute path, for tests that change
// directory or write it into a configuration file.
func absOfflineDB(t *testing.T) string {
	t.Helper()
	db, err := filepath.Abs(offlineDB)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// copyDB copies the test database to dir (a repository's own database).
func copyDB(t *testing.T, dir string) {
	t.Helper()
	if err := os.CopyFS(dir, os.DirFS(offlineDB)); err != nil {
		t.Fatal(err)
	}
}
