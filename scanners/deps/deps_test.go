package deps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/osv"
	"github.com/secgate/secgate/scanners"
)

// repoRoot is the repository root, from this package's directory.
const repoRoot = "../.."

var offlineDB = filepath.Join(repoRoot, "testdata", "osvdb")

// expected mirrors testdata/lockfiles/expected.json: what scanning each case
// directory against testdata/osvdb must give, as verified with osv-scanner
// v2.5.0 itself.
type expected struct {
	Cases []struct {
		Case    string   `json:"case"`
		Dir     string   `json:"dir"`
		Files   []string `json:"lockfiles"`
		Outcome string   `json:"outcome"`
		Matches []struct {
			Lockfile    string   `json:"lockfile"`
			Ecosystem   string   `json:"ecosystem"`
			Package     string   `json:"package"`
			Version     string   `json:"version"`
			IDs         []string `json:"ids"`
			Aliases     []string `json:"aliases"`
			Fixed       []string `json:"fixed"`
			MaxSeverity string   `json:"max_severity"`
			Rating      string   `json:"rating"`
		} `json:"matches"`
	} `json:"cases"`
}

func loadExpected(t *testing.T) expected {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "lockfiles", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Cases) == 0 {
		t.Fatal("expected.json has no cases")
	}
	return e
}

func scan(t *testing.T, dir string, m osv.Matcher) ([]findings.Finding, findings.Scan, error) {
	t.Helper()
	target, err := scanners.PathTarget(dir, findings.Root{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewType(Options{}, scanners.Env{Matcher: m}).New(target)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Scan(context.Background())
	if err != nil {
		return nil, findings.Scan{}, err
	}
	return res.Findings, res.Scan, nil
}

// TestExpectedMatches scans every case of testdata/lockfiles offline and
// checks each finding against expected.json: one finding per (package,
// advisory group), the group's ids, the fix, the severity.
func TestExpectedMatches(t *testing.T) {
	for _, c := range loadExpected(t).Cases {
		t.Run(c.Case, func(t *testing.T) {
			got, scanInfo, err := scan(t, filepath.Join(repoRoot, c.Dir), osv.NewOffline(offlineDB))
			if c.Outcome == "error" {
				if err == nil {
					t.Fatalf("scan succeeded, want an extraction error")
				}
				if !errors.Is(err, ErrExtract) {
					t.Errorf("error %v is not ErrExtract", err)
				}
				for _, f := range c.Files {
					if !strings.Contains(err.Error(), f) {
						t.Errorf("error %q does not name %s", err, f)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if scanInfo.Stats["files"] != len(c.Files) {
				t.Errorf("files = %d, want %d (%v)", scanInfo.Stats["files"], len(c.Files), c.Files)
			}
			if len(got) != len(c.Matches) {
				t.Errorf("%d findings, want %d:\n%s", len(got), len(c.Matches), describe(got))
			}
			for _, m := range c.Matches {
				i := slices.IndexFunc(got, func(f findings.Finding) bool {
					return f.Package.Name == m.Package && f.Package.Version == m.Version && slices.Contains(m.IDs, f.RuleID)
				})
				if i < 0 {
					t.Errorf("no finding for %s@%s %v in:\n%s", m.Package, m.Version, m.IDs, describe(got))
					continue
				}
				f := got[i]
				ids := append([]string{f.RuleID}, f.Vulnerability.Aliases...)
				for _, id := range append(slices.Clone(m.IDs), m.Aliases...) {
					if !slices.Contains(ids, id) {
						t.Errorf("%s: %s missing from id and aliases %v", m.Package, id, ids)
					}
				}
				if f.Location.Path != m.Lockfile || f.Package.Ecosystem != m.Ecosystem {
					t.Errorf("%s: location %s (%s), want %s (%s)", m.Package, f.Location.Path, f.Package.Ecosystem, m.Lockfile, m.Ecosystem)
				}
				if len(m.Fixed) > 0 && (len(f.Vulnerability.FixedVersions) == 0 || f.Vulnerability.FixedVersions[0] != m.Fixed[0]) {
					t.Errorf("%s: fixed versions %v, want the first to be %v", m.Package, f.Vulnerability.FixedVersions, m.Fixed)
				}
				if len(m.Fixed) == 0 && len(f.Vulnerability.FixedVersions) != 0 {
					t.Errorf("%s: fixed versions %v, want none", m.Package, f.Vulnerability.FixedVersions)
				}
				if m.MaxSeverity == "" {
					if f.CVSS != nil || f.Severity != findings.SeverityUnknown {
						t.Errorf("%s: severity %s %+v, want unknown without CVSS", m.Package, f.Severity, f.CVSS)
					}
				} else {
					want, _ := strconv.ParseFloat(m.MaxSeverity, 64)
					if f.CVSS == nil || f.CVSS.Score != want {
						t.Errorf("%s: CVSS %+v, want score %v", m.Package, f.CVSS, want)
					}
					if !strings.EqualFold(string(f.Severity), m.Rating) {
						t.Errorf("%s: severity %s, want %s", m.Package, f.Severity, m.Rating)
					}
				}
			}
		})
	}
}

func describe(fs []findings.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s@%s %s %v fixed=%v line=%d\n", f.Location.Path, f.Package.Name, f.Package.Version, f.RuleID, f.Vulnerability.Aliases, f.Vulnerability.FixedVersions, f.Location.Line)
	}
	return b.String()
}

// TestMissingEcosystemDB: a scan that needs an ecosystem the offline DB
// lacks is an error naming the ecosystem and the file looked for, never a
// silent pass.
func TestMissingEcosystemDB(t *testing.T) {
	db := t.TempDir()
	data, err := os.ReadFile(filepath.Join(offlineDB, "Go", "all.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(db, "Go"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(db, "Go", "all.zip"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = scan(t, filepath.Join(repoRoot, "testdata", "example"), osv.NewOffline(db))
	if !errors.Is(err, osv.ErrMissingDB) {
		t.Fatalf("err = %v, want ErrMissingDB", err)
	}
	for _, want := range []string{"npm", "PyPI", filepath.Join(db, "npm", "all.zip"), filepath.Join(db, "PyPI", "all.zip")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "Go ") {
		t.Errorf("error %q names Go, whose DB is present", err)
	}
}

// TestLineNumbers: locations carry the lockfile line of the package.
func TestLineNumbers(t *testing.T) {
	got, _, err := scan(t, filepath.Join(repoRoot, "testdata", "example"), osv.NewOffline(offlineDB))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range got {
		if f.Location.Line < 1 {
			t.Errorf("%s in %s has no line", f.Package.Name, f.Location.Path)
			continue
		}
		data, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "example", f.Location.Path))
		if err != nil {
			t.Fatal(err)
		}
		line := strings.Split(string(data), "\n")[f.Location.Line-1]
		if !strings.Contains(strings.ToLower(line), strings.ToLower(f.Package.Name)) {
			t.Errorf("%s: line %d of %s is %q", f.Package.Name, f.Location.Line, f.Location.Path, line)
		}
	}
}

// TestYarnLock: yarn.lock is read by yarnlock, a package listed twice (same
// version and commit) counts once and is found at its first entry, and an
// entry without a version fails the scan, naming the file.
func TestYarnLock(t *testing.T) {
	dir := t.TempDir()
	entry := "lodash@^4.17.%d:\n  version \"4.17.20\"\n  resolved \"https://registry.yarnpkg.com/lodash/-/lodash-4.17.20.tgz#b44a\"\n\n"
	lock := "# yarn lockfile v1\n\n\n" + fmt.Sprintf(entry, 1) + "minimist@^1.2.0:\n  version \"1.2.5\"\n\n" + fmt.Sprintf(entry, 2)
	if err := os.WriteFile(filepath.Join(dir, "yarn.lock"), []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{dir, filepath.Join(dir, "yarn.lock")} {
		got, scan, err := scan(t, target, osv.NewOffline(offlineDB))
		if err != nil {
			t.Fatal(err)
		}
		if scan.Stats["packages"] != 2 || len(got) != 2 {
			t.Fatalf("%s: stats %v, %s", target, scan.Stats, describe(got))
		}
		for _, f := range got {
			if want := map[string]int{"lodash": 4, "minimist": 8}[f.Package.Name]; f.Location.Line != want || f.Location.Path != "yarn.lock" {
				t.Errorf("%s: %s at %+v, want line %d", target, f.Package.Name, f.Location, want)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "yarn.lock"), []byte("foo@^1:\n  resolved \"x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := scan(t, dir, osv.NewOffline(offlineDB)); !errors.Is(err, ErrExtract) || !strings.Contains(err.Error(), "yarn.lock: ") || !strings.Contains(err.Error(), "foo (line 1)") {
		t.Errorf("no version: %v", err)
	}
}

// A yarn.lock line longer than the readers' 64 KiB stops them silently: the
// guard refuses the file (exit 2) instead of passing on what was not read.
func TestYarnLockLongLineRefused(t *testing.T) {
	dir := t.TempDir()
	lock := "# yarn lockfile v1\n\n\"left-pad@^1.0.0\":\n  version \"1.0.0\"\n  # " + strings.Repeat("x", 70<<10) + "\n\nminimist@^1.2.0:\n  version \"1.2.5\"\n"
	if err := os.WriteFile(filepath.Join(dir, "yarn.lock"), []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := scan(t, dir, osv.NewOffline(offlineDB))
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "yarn.lock:5") || !strings.Contains(err.Error(), "64 KiB") {
		t.Errorf("err %v, want the line named and ErrUnreadable", err)
	}
}
