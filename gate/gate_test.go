package gate

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/lockgen"
	"github.com/secgate/secgate/osv"
	"github.com/secgate/secgate/scanners/deps"
	"github.com/secgate/secgate/scanners/secrets"
)

var (
	offlineDB = filepath.Join("..", "testdata", "osvdb")
	lockfiles = filepath.Join("..", "testdata", "lockfiles")
)

// A real AWS key shape that gitleaks' aws-access-token rule reports.
const awsKey = "AKIA" + "ZQ3DN7KXWB4GV2YT"

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func writeFile(t *testing.T, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tree is a checkout: a vulnerable go.mod and a secret under sub/app, a
// root filesystem image of Alpine, outside git.
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	mod, err := os.ReadFile(filepath.Join(lockfiles, "go-vulnerable", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "sub", "app", "go.mod"), string(mod))
	writeFile(t, filepath.Join(dir, "sub", "app", "deploy.env"), "export AWS_KEY="+awsKey+"\n")
	return dir
}

// The whole pipeline on a path below the working directory and an image:
// each scanner that applies runs once per target, every finding names its
// target, paths are within the target, the decision is applied.
func TestRun(t *testing.T) {
	db, rootfs := abs(t, offlineDB), abs(t, filepath.Join("..", "testdata", "rootfs", "alpine"))
	dir := tree(t)
	t.Chdir(dir)
	doc, err := Run(context.Background(), Options{
		Path: filepath.Join("sub", "app"), Images: []string{"dir:" + rootfs},
		OfflineDB: db, Version: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	var scans []string
	for _, s := range doc.Scans {
		scans = append(scans, s.Scanner+" "+s.Kind+" "+s.Target)
	}
	// The image lies outside the report root (the working directory): it
	// is named by its base name.
	want := []string{"deps directory sub/app", "secrets directory sub/app", "container image dir:alpine"}
	if !slices.Equal(scans, want) {
		t.Errorf("scans %q, want %q", scans, want)
	}
	got := map[string]findings.Finding{}
	for _, f := range doc.Findings {
		got[f.RuleID] = f
		if f.Decision == "" {
			t.Errorf("%s: no decision applied", f.RuleID)
		}
	}
	for rule, loc := range map[string]findings.Location{
		"GO-2021-0113":          {Target: "sub/app", Path: "go.mod", Line: 5},
		"aws-access-token":      {Target: "sub/app", Path: "deploy.env", Line: 1, Column: 16},
		"ALPINE-CVE-2025-26519": {Target: "dir:alpine", Path: "lib/apk/db/installed"},
	} {
		f, ok := got[rule]
		if !ok {
			t.Errorf("no %s finding", rule)
			continue
		}
		if f.Location.Target != loc.Target || f.Location.Path != loc.Path || (loc.Line != 0 && f.Location.Line != loc.Line) || f.Location.Column != loc.Column {
			t.Errorf("%s at %+v, want %+v", rule, f.Location, loc)
		}
	}
	if doc.Decision == nil || doc.Decision.Result != findings.ResultFail || got["GO-2021-0113"].Decision != findings.DecisionDeny {
		t.Errorf("decision %+v, GO-2021-0113 %s: want a failing gate denying it", doc.Decision, got["GO-2021-0113"].Decision)
	}
}

// The ID is the same whatever directory the gate runs from and wherever
// the checkout is: it holds the path within the target only.
func TestRunIDsIndependentOfCheckout(t *testing.T) {
	db := abs(t, offlineDB)
	ids := func(wd, path string) []string {
		t.Chdir(wd)
		doc, err := Run(context.Background(), Options{Path: path, OfflineDB: db})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range doc.Findings {
			out = append(out, f.ID)
		}
		return out
	}
	a, b := tree(t), filepath.Join(t.TempDir(), "x", "y", "z")
	if err := os.CopyFS(b, os.DirFS(a)); err != nil {
		t.Fatal(err)
	}
	first := ids(a, filepath.Join("sub", "app"))
	for _, run := range [][2]string{{filepath.Join(a, "sub"), "app"}, {b, filepath.Join("sub", "app")}, {t.TempDir(), filepath.Join(b, "sub", "app")}} {
		if got := ids(run[0], run[1]); !slices.Equal(got, first) {
			t.Errorf("from %s, %s: ids %v, want %v", run[0], run[1], got, first)
		}
	}
}

// Which scanners run: --scanners picks among those that apply; git modes
// run only the secret scanner; a name secgate does not know and a run with
// nothing to scan are invalid options.
func TestRunSelectsScanners(t *testing.T) {
	db := abs(t, offlineDB)
	dir := tree(t)
	scanned := func(opts Options) ([]string, error) {
		opts.OfflineDB = db
		doc, err := Run(context.Background(), opts)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, s := range doc.Scans {
			out = append(out, s.Scanner)
		}
		return out, nil
	}
	got, err := scanned(Options{Path: dir, Scanners: []string{"deps"}})
	if err != nil || !slices.Equal(got, []string{"deps"}) {
		t.Errorf("--scanners deps: %v, %v", got, err)
	}
	got, err = scanned(Options{Path: dir, Scanners: []string{"container"}, Images: []string{"dir:" + abs(t, filepath.Join("..", "testdata", "rootfs", "alpine"))}})
	if err != nil || !slices.Equal(got, []string{"container"}) {
		t.Errorf("--scanners container: %v, %v", got, err)
	}
	for name, opts := range map[string]Options{
		"unknown scanner":      {Path: dir, Scanners: []string{"licenses"}},
		"no scanner applies":   {Path: dir, Scanners: []string{"container"}},
		"history of a file":    {Path: filepath.Join(dir, "sub", "app", "go.mod"), Secrets: secrets.Options{Mode: secrets.History}},
		"no path and no image": {},
	} {
		if _, err := scanned(opts); !errors.Is(err, ErrOptions) {
			t.Errorf("%s: err = %v, want ErrOptions", name, err)
		}
	}
}

// Errors keep their causes, so that callers (and errors.Is) can tell a
// missing path, a lockfile that does not parse, missing advisory data and a
// cancelled context apart; every one is the gate's failure to decide.
func TestRunErrorsKeepTheirCause(t *testing.T) {
	db := abs(t, offlineDB)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	empty := t.TempDir()
	for _, tt := range []struct {
		name   string
		ctx    context.Context
		opts   Options
		causes []error
	}{
		{"missing path", context.Background(), Options{Path: filepath.Join(empty, "nope"), OfflineDB: db}, []error{ErrOptions, fs.ErrNotExist}},
		{"malformed lockfile", context.Background(), Options{Path: filepath.Join(lockfiles, "malformed"), OfflineDB: db}, []error{ErrScan, deps.ErrExtract}},
		{"missing ecosystem", context.Background(), Options{Path: filepath.Join(lockfiles, "go-vulnerable"), OfflineDB: empty}, []error{ErrScan, osv.ErrMissingDB}},
		{"cancelled", canceled, Options{Path: filepath.Join(lockfiles, "go-vulnerable"), OfflineDB: db}, []error{context.Canceled}},
	} {
		_, err := Run(tt.ctx, tt.opts)
		for _, cause := range tt.causes {
			if !errors.Is(err, cause) {
				t.Errorf("%s: err = %v, want it to wrap %v", tt.name, err, cause)
			}
		}
	}
}

// --baseline: a finding of the baseline is existing, by its scanner's
// identity; the others are new.
func TestRunBaseline(t *testing.T) {
	db := abs(t, offlineDB)
	dir := tree(t)
	baseline := filepath.Join(t.TempDir(), "base.json")
	writeFile(t, baseline, `{"schema_version": 2, "tool": {"name": "secgate", "version": "x"}, "scans": [], "findings": []}`)
	doc, err := Run(context.Background(), Options{Path: dir, OfflineDB: db, Baseline: baseline})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range doc.Findings {
		if f.Baseline != findings.BaselineNew {
			t.Errorf("%s: baseline %q, want new", f.RuleID, f.Baseline)
		}
	}
}

// Results about the whole scan from a policy in no file of the repository
// point at the configuration file the options came from.
func TestRunConfigLocation(t *testing.T) {
	db := abs(t, offlineDB)
	dir := tree(t)
	cfg := filepath.Join(dir, "ci", "secgate.yaml")
	writeFile(t, cfg, "scanners: [deps]\n")
	policy := filepath.Join(t.TempDir(), "p.rego")
	writeFile(t, policy, "package secgate.p\n\nwarn contains {\"msg\": \"about the scan\"} if true\n")
	t.Chdir(dir)
	doc, err := Run(context.Background(), Options{Path: ".", OfflineDB: db, Config: cfg, Policy: PolicyOptions{Paths: []string{policy}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Decision.Warn {
		if r.Msg == "about the scan" && (r.Location == nil || *r.Location != (findings.FileLine{Path: "ci/secgate.yaml", Line: 1})) {
			t.Errorf("result at %+v, want ci/secgate.yaml:1", r.Location)
		}
	}
}

// A single lockfile is a target of its own: named as given, paths within
// its directory.
func TestRunFileTarget(t *testing.T) {
	db := abs(t, offlineDB)
	dir := tree(t)
	t.Chdir(dir)
	doc, err := Run(context.Background(), Options{Path: filepath.Join("sub", "app", "go.mod"), OfflineDB: db, Scanners: []string{"deps"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := doc.Scans[0]; s.Kind != findings.TargetFile || s.Target != "sub/app/go.mod" || len(doc.Findings) != 1 || doc.Findings[0].Location.Path != "go.mod" {
		t.Errorf("scan %+v, findings %+v", s, doc.Findings)
	}
	if !strings.HasPrefix(doc.Findings[0].Location.Target, "sub/app") {
		t.Errorf("location %+v", doc.Findings[0].Location)
	}
}

// BenchmarkScanPackageLock100k is the whole gate (walk, extraction with
// line numbers, offline matching, policy, no report) on a generated
// 100,000-package package-lock.json. Target: under 10 s.
//
//	go test -run XXX -bench ScanPackageLock100k -benchtime 3x ./gate
func BenchmarkScanPackageLock100k(b *testing.B) {
	benchGate(b, "package-lock.json", lockgen.PackageLock(100_000), 100_000)
}

// benchGate runs the whole gate offline on a directory holding one
// lockfile of n packages, data.
func benchGate(b *testing.B, file string, data []byte, n int) {
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, file), data, 0o644); err != nil {
		b.Fatal(err)
	}
	opts := Options{Path: dir, OfflineDB: offlineDB, Version: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		doc, err := Run(context.Background(), opts)
		if err != nil {
			b.Fatal(err)
		}
		if got := doc.Scans[0].Stats["packages"]; got != n {
			b.Fatalf("%d packages, want %d", got, n)
		}
	}
}

// BenchmarkScanLockfile is the whole gate, as BenchmarkScanPackageLock100k,
// on generated lockfiles of growing size, so that the growth shows (a
// linear gate keeps ns/op per package flat): yarn.lock v1 of 100k, 300k
// and 1M entries, yarn berry of 300k, package-lock.json of 150k, 500k and
// 1.5M packages. The offline database is testdata's: matching finds
// nothing in these names and costs little. Pick sizes with -bench:
//
//	go test -run XXX -bench 'ScanLockfile/yarn-1M' -benchtime 1x ./gate
func BenchmarkScanLockfile(b *testing.B) {
	for _, c := range []struct {
		name, file string
		n          int
		gen        func(int) []byte
	}{
		{"yarn-100k", "yarn.lock", 100_000, func(n int) []byte { return lockgen.YarnLock(n, false) }},
		{"yarn-300k", "yarn.lock", 300_000, func(n int) []byte { return lockgen.YarnLock(n, false) }},
		{"yarn-1M", "yarn.lock", 1_000_000, func(n int) []byte { return lockgen.YarnLock(n, false) }},
		{"berry-300k", "yarn.lock", 300_000, func(n int) []byte { return lockgen.YarnLock(n, true) }},
		{"npm-150k", "package-lock.json", 150_000, lockgen.PackageLock},
		{"npm-500k", "package-lock.json", 500_000, lockgen.PackageLock},
		{"npm-1.5M", "package-lock.json", 1_500_000, lockgen.PackageLock},
	} {
		b.Run(c.name, func(b *testing.B) {
			benchGate(b, c.file, c.gen(c.n), c.n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(c.n), "ns/pkg")
		})
	}
}

// MaxDBAge puts a warning about each stale ecosystem file in the scans that
// used it (the path's and the image's alike), tells Warn once per file, and
// leaves the decision as it was.
func TestRunMaxDBAge(t *testing.T) {
	db := t.TempDir()
	if err := os.CopyFS(db, os.DirFS(offlineDB)); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-10 * 24 * time.Hour)
	for _, eco := range []string{"Go", "Alpine"} {
		if err := os.Chtimes(filepath.Join(db, eco, "all.zip"), old, old); err != nil {
			t.Fatal(err)
		}
	}
	rootfs := abs(t, filepath.Join("..", "testdata", "rootfs", "alpine"))
	dir := tree(t)
	tests := []struct {
		name   string
		maxAge time.Duration
		want   map[string]string // scanner: the ecosystem its warning names
	}{
		{name: "off", maxAge: 0},
		{name: "fresh enough", maxAge: 11 * 24 * time.Hour},
		{name: "stale", maxAge: 7 * 24 * time.Hour, want: map[string]string{findings.ScannerDeps: "Go", findings.ScannerContainer: "Alpine"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var told []string
			doc, err := Run(context.Background(), Options{
				Path: dir, Images: []string{"dir:" + rootfs}, OfflineDB: db, MaxDBAge: tt.maxAge,
				Warn: func(msg string) { told = append(told, msg) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if doc.Decision.Result != findings.ResultFail {
				t.Errorf("decision %s, want fail as without MaxDBAge", doc.Decision.Result)
			}
			got := map[string]string{}
			for _, s := range doc.Scans {
				for _, w := range s.Warnings {
					if eco, _, ok := strings.Cut(strings.TrimPrefix(w, "the offline OSV database of "), " is 10d old"); ok {
						got[s.Scanner] = eco
					}
				}
			}
			if !maps.Equal(got, tt.want) || len(told) != len(tt.want) {
				t.Errorf("stale warnings %v (Warn told %q), want %v", got, told, tt.want)
			}
		})
	}
}
