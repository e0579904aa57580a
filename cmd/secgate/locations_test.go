package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/imagetest"
	"github.com/secgate/secgate/internal/schematest"
	"github.com/secgate/secgate/report"
)

// Where findings are: every format points at the file a person or a CI
// system can open, relative to the report root (the git work tree, else the
// working directory when the target is inside it, else the target), and
// the same tree gives the same report wherever it is checked out.

// sarifURIs maps each SARIF result's rule to its location's URI, line and
// column.
type sarifPlace struct {
	URI          string
	Line, Column int
}

func sarifPlaces(t *testing.T, out string) map[string][]sarifPlace {
	t.Helper()
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("SARIF is not JSON: %v\n%s", err, out)
	}
	places := map[string][]sarifPlace{}
	for _, r := range log.Runs[0].Results {
		pl := r.Locations[0].PhysicalLocation
		places[r.RuleID] = append(places[r.RuleID], sarifPlace{pl.ArtifactLocation.URI, pl.Region.StartLine, pl.Region.StartColumn})
	}
	return places
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dst, string(data))
}

// Item 1: a PATH below the working directory, scanned with an image, is
// named from the working directory in SARIF, JUnit, GitLab and the
// annotations, as without an image.
func TestPathBelowWorkingDirectoryWithImage(t *testing.T) {
	db := absOfflineDB(t)
	rootfs, err := filepath.Abs(filepath.Join(repoRoot, "testdata", "rootfs", "alpine"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyFile(t, filepath.Join(lockfiles, "go-vulnerable", "go.mod"), filepath.Join(dir, "sub", "app", "go.mod"))
	t.Chdir(dir)
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", "")
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	scan := func(format string) result {
		r := secgate(t, "scan", "--offline-db", db, "--scanners", "deps,container", "--image", "dir:"+rootfs, "-f", format, filepath.Join("sub", "app"))
		if r.code != exitDenied {
			t.Fatalf("%s: exit %d: %s", format, r.code, r.stderr)
		}
		return r
	}

	r := scan("sarif")
	if got := sarifPlaces(t, r.stdout)["GO-2021-0113"]; len(got) != 1 || got[0] != (sarifPlace{"sub/app/go.mod", 5, 0}) {
		t.Errorf("SARIF: GO-2021-0113 at %+v, want sub/app/go.mod:5", got)
	}
	if !strings.Contains(r.stderr, "::error file=sub/app/go.mod,line=5,") {
		t.Errorf("annotation does not name sub/app/go.mod:\n%s", r.stderr)
	}

	var junit struct {
		Suites []struct {
			Cases []struct {
				Name string `xml:"name,attr"`
				File string `xml:"file,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(scan("junit").stdout), &junit); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, s := range junit.Suites {
		for _, c := range s.Cases {
			if strings.HasPrefix(c.Name, "GO-2021-0113") {
				files = append(files, c.File)
			}
		}
	}
	if !slices.Equal(files, []string{"sub/app/go.mod"}) {
		t.Errorf("JUnit: GO-2021-0113 in %v, want sub/app/go.mod", files)
	}

	var gitlab struct {
		Vulnerabilities []struct {
			Identifiers []struct{ Value string } `json:"identifiers"`
			Location    struct{ File string }    `json:"location"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal([]byte(scan("gitlab").stdout), &gitlab); err != nil {
		t.Fatal(err)
	}
	files = nil
	for _, v := range gitlab.Vulnerabilities {
		if v.Identifiers[0].Value == "GO-2021-0113" {
			files = append(files, v.Location.File)
		}
	}
	if !slices.Equal(files, []string{"sub/app/go.mod"}) {
		t.Errorf("GitLab: GO-2021-0113 in %v, want sub/app/go.mod", files)
	}
}

// Item 2: the packages of a requirements.txt "-r base.txt" line are at that
// line, at any depth of the checkout, with the same fingerprint; the files
// count is requirements.txt and base.txt.
func TestRequirementsIncludeAtAnyDepth(t *testing.T) {
	db := absOfflineDB(t)
	base := t.TempDir()
	var reports []string
	for _, depth := range []string{"a", filepath.Join("b", "c", "d", "e", "f")} {
		dir := filepath.Join(base, depth)
		write(t, filepath.Join(dir, "requirements.txt"), "-r base.txt\n")
		write(t, filepath.Join(dir, "base.txt"), "jinja2==3.1.2\npy==1.11.0\nrequests==2.28.1\n")
		r := secgate(t, "scan", "--offline-db", db, "--scanners", "deps", "--fail-on", "medium", "-f", "json", dir)
		if r.code != exitDenied {
			t.Fatalf("%s: exit %d: %s", depth, r.code, r.stderr)
		}
		doc := decode(t, r.stdout)
		if len(doc.Findings) < 2 {
			t.Fatalf("%s: %d findings, want one per vulnerable package of base.txt at least", depth, len(doc.Findings))
		}
		for _, f := range doc.Findings {
			if f.Location.Path != "requirements.txt" || f.Location.Line != 1 {
				t.Errorf("%s: %s in %s at %+v, want requirements.txt:1 (the -r line)", depth, f.RuleID, f.Package.Name, f.Location)
			}
		}
		if got := doc.Scans[0].Stats["files"]; got != 2 {
			t.Errorf("%s: files = %d, want 2 (requirements.txt, base.txt)", depth, got)
		}
		reports = append(reports, r.stdout)
	}
	if reports[0] != reports[1] {
		t.Errorf("the same tree at two depths gives two reports:\n%s\n%s", reports[0], reports[1])
	}
}

// Item 3: a single lockfile as PATH is scanned like osv-scanner -L: by its
// own extractor, with the findings of its directory.
func TestSingleLockfile(t *testing.T) {
	db := absOfflineDB(t)
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":            filepath.Join(lockfiles, "go-vulnerable", "go.mod"),
		"Cargo.lock":        filepath.Join(lockfiles, "cargo-vulnerable", "Cargo.lock"),
		"Gemfile.lock":      filepath.Join(lockfiles, "gem-vulnerable", "Gemfile.lock"),
		"requirements.txt":  filepath.Join(lockfiles, "pypi-vulnerable", "requirements.txt"),
		"package-lock.json": filepath.Join(lockfiles, "npm-v3-vulnerable", "package-lock.json"),
	}
	for name, src := range files {
		copyFile(t, src, filepath.Join(dir, "app-"+name, name))
	}
	write(t, filepath.Join(dir, "app-yarn.lock", "yarn.lock"), `# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


lodash@^4.17.20:
  version "4.17.20"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.20.tgz#b44a9b6297bcb698f1c51a3545a2b3b368d59c52"
  integrity sha512-PlhdFcillOINfeV7Ni6oF1TAEayyZBoZ8bcshTHqOYJYlrqzRK5hagpagky5o4HfCzzd1TRkXPMFq6cKk9rGmA==
`)
	files["yarn.lock"] = ""
	t.Chdir(dir)
	for name := range files {
		t.Run(name, func(t *testing.T) {
			app := "app-" + name
			rules := func(out string) []string {
				var ids []string
				for _, f := range decode(t, out).Findings {
					ids = append(ids, f.RuleID)
				}
				slices.Sort(ids)
				return ids
			}
			whole := secgate(t, "scan", "--offline-db", db, "--scanners", "deps", "-f", "json", app)
			one := secgate(t, "scan", "--offline-db", db, "--scanners", "deps", "-f", "json", filepath.Join(app, name))
			if one.code != exitDenied || whole.code != exitDenied {
				t.Fatalf("exit %d for the file, %d for its directory: %s", one.code, whole.code, one.stderr)
			}
			if got, want := rules(one.stdout), rules(whole.stdout); len(got) == 0 || !slices.Equal(got, want) {
				t.Errorf("the file gives %v, its directory %v", got, want)
			}
			doc := decode(t, one.stdout)
			if s := doc.Scans[0]; s.Target != app+"/"+name || s.Kind != findings.TargetFile || s.Stats["files"] != 1 {
				t.Errorf("scan %+v, want the file %s/%s", s, app, name)
			}
			sarif := secgate(t, "scan", "--offline-db", db, "--scanners", "deps", "-f", "sarif", filepath.Join(app, name))
			for rule, places := range sarifPlaces(t, sarif.stdout) {
				for _, p := range places {
					if p.URI != app+"/"+name {
						t.Errorf("SARIF %s at %s, want %s/%s", rule, p.URI, app, name)
					}
				}
			}
		})
	}
}

// Item 4: in GitHub Actions the report on stdout is the report alone; the
// workflow commands go to stderr.
func TestActionsReportOnStdoutAlone(t *testing.T) {
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", "")
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	for _, format := range []string{"json", "sarif"} {
		r := secgate(t, "scan", "--offline-db", offlineDB, "-f", format, copyExample(t))
		if r.code != exitDenied {
			t.Fatalf("%s: exit %d: %s", format, r.code, r.stderr)
		}
		var v any
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Errorf("%s on stdout is not valid JSON: %v\n%s", format, err, r.stdout[max(0, len(r.stdout)-400):])
		}
		if !strings.Contains(r.stderr, "::error file=") {
			t.Errorf("%s: no annotations on stderr:\n%s", format, r.stderr)
		}
	}
}

// Item 5: results about the whole scan point at a file that exists: the
// rule's policy file and line, the waivers file for waiver warnings, the
// configuration file; without any, .secgate.yaml in the scanned directory,
// never "secgate.yaml".
func TestPolicyResultLocations(t *testing.T) {
	db := absOfflineDB(t)
	dir := copyExample(t)
	write(t, filepath.Join(dir, "policies", "coverage.rego"), `package secgate.coverage

# METADATA
# title: The dependency scan must read a lockfile
deny contains {"msg": "no lockfile was read"} if {
	some s in input.scans
	s.scanner == "deps"
	s.stats.files == 0
}

warn contains {"msg": "the gate ran"} if true
`)
	write(t, filepath.Join(dir, ".secgate-waivers.yaml"), "waivers:\n  - id: 0123456789abcdef0123456789abcdef\n    reason: gone\n    expires: \"2099-01-01\"\n")
	outside := writeTree(t, map[string]string{"limits.rego": "package secgate.limits\n\nwarn contains {\"msg\": \"from outside the repository\"} if true\n"})
	sarifSchema := schematest.SARIF(t, repoRoot)
	t.Chdir(dir)
	scan := func(args ...string) map[string][]sarifPlace {
		t.Helper()
		r := secgate(t, append([]string{"scan", "--offline-db", db, "--scanners", "deps", "-f", "sarif"}, args...)...)
		if r.code == exitError {
			t.Fatalf("exit 2: %s", r.stderr)
		}
		schematest.Validate(t, sarifSchema, []byte(r.stdout))
		return sarifPlaces(t, r.stdout)
	}
	got := scan("-p", filepath.Join("policies", "coverage.rego"), ".")
	if p := got[report.PolicyRuleID]; !slices.Contains(p, sarifPlace{"policies/coverage.rego", 11, 0}) {
		t.Errorf("team policy's result at %+v, want policies/coverage.rego:11", p)
	}
	if p := got[report.PolicyRuleID]; !slices.Contains(p, sarifPlace{".secgate-waivers.yaml", 1, 0}) {
		t.Errorf("stale waiver's warning at %+v, want .secgate-waivers.yaml:1", p)
	}
	for rule, places := range got {
		for _, p := range places {
			if p.URI == "secgate.yaml" {
				t.Errorf("%s points at secgate.yaml, which does not exist", rule)
			}
		}
	}

	// An empty lockfile directory with the team policy: the deny is at its
	// rule's line.
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	got = scan("-p", filepath.Join("policies", "coverage.rego"), "empty")
	if p := got[report.PolicyRuleID]; !slices.Contains(p, sarifPlace{"policies/coverage.rego", 5, 0}) {
		t.Errorf("deny of an empty scan at %+v, want policies/coverage.rego:5", p)
	}

	// A result of a policy in no file of the repository (outside it, in a
	// bundle) points at the configuration file that was read, else at
	// .secgate.yaml in the scanned directory.
	write(t, filepath.Join(dir, "ci.yaml"), "fail-on: critical\n")
	got = scan("--config", "ci.yaml", "-p", filepath.Join(outside, "limits.rego"), ".")
	if p := got[report.PolicyRuleID]; !slices.Contains(p, sarifPlace{"ci.yaml", 1, 0}) {
		t.Errorf("results at %+v, want one at ci.yaml:1", p)
	}
	got = scan("-p", filepath.Join(outside, "limits.rego"), "empty")
	if p := got[report.PolicyRuleID]; !slices.Contains(p, sarifPlace{"empty/.secgate.yaml", 1, 0}) {
		t.Errorf("results at %+v, want one at empty/.secgate.yaml:1", p)
	}
}

// Item 5: an image named by an absolute path is named relative to the
// report root in every format: no output holds a path of this machine.
func TestNoAbsolutePathsInReports(t *testing.T) {
	db := absOfflineDB(t)
	img := imagetest.Image(t, imagetest.Config{History: []string{"COPY app / # buildkit"}},
		imagetest.Layer(t, []imagetest.File{{Name: "app/.env", Body: []byte("KEY=" + awsKey + "\n")}}))
	archive := imagetest.WriteArchive(t, img, t.TempDir())
	dir := copyExample(t)
	t.Chdir(dir)
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	for _, format := range report.Formats {
		r := secgate(t, "scan", "--offline-db", db, "-f", format, "--image", "docker-archive:"+archive, ".")
		if r.code != exitDenied {
			t.Fatalf("%s: exit %d: %s", format, r.code, r.stderr)
		}
		for _, abs := range []string{filepath.Dir(archive), dir, os.TempDir() + string(filepath.Separator)} {
			if strings.Contains(r.stdout, abs) {
				t.Errorf("%s report holds the absolute path %s", format, abs)
			}
		}
		if format == report.FormatJSON {
			for _, f := range decode(t, r.stdout).Findings {
				if f.Image != nil && f.Image.Ref != "docker-archive:"+filepath.Base(archive) {
					t.Errorf("image named %q, want docker-archive:%s", f.Image.Ref, filepath.Base(archive))
				}
			}
		}
	}
}

// Item 5: a secret's column, which the scanner knows, reaches SARIF (and
// JSON, JUnit and the annotations).
func TestSecretColumn(t *testing.T) {
	dir := writeTree(t, map[string]string{"deploy.env": "# deploy\nexport AWS_KEY=" + awsKey + "\n"})
	r := secgate(t, "scan", "--scanners", "secrets", "-f", "json", dir)
	doc := decode(t, r.stdout)
	if len(doc.Findings) != 1 || doc.Findings[0].Location.Column == 0 {
		t.Fatalf("findings %+v: want one secret with its column", doc.Findings)
	}
	loc := doc.Findings[0].Location
	r = secgate(t, "scan", "--scanners", "secrets", "-f", "sarif", dir)
	got := sarifPlaces(t, r.stdout)[doc.Findings[0].RuleID]
	if want := (sarifPlace{"deploy.env", loc.Line, loc.Column}); len(got) != 1 || got[0] != want {
		t.Errorf("SARIF %+v, want %+v", got, want)
	}
}

// Item 6: an npm v1 lockfile entry whose version is a git URL is matched by
// its commit, never as if the URL were a version: no finding.
func TestNpmGitDependencyNotMatchedByURL(t *testing.T) {
	dir := writeTree(t, map[string]string{"package-lock.json": `{
  "name": "app",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "lodash": {
      "version": "git+https://github.com/lodash/lodash.git#4.17.20",
      "from": "git+https://github.com/lodash/lodash.git#4.17.20"
    },
    "minimist": {
      "version": "1.2.5"
    }
  }
}
`})
	r := secgate(t, "scan", "--offline-db", offlineDB, "--scanners", "deps", "-f", "json", dir)
	doc := decode(t, r.stdout)
	for _, f := range doc.Findings {
		if f.Package.Name == "lodash" {
			t.Errorf("lodash from git matched as version %q: %s", f.Package.Version, f.RuleID)
		}
	}
	if len(doc.Findings) == 0 || doc.Scans[0].Stats["packages_unmatchable"] != 1 {
		t.Errorf("findings %d, stats %v: want minimist's, lodash unmatchable", len(doc.Findings), doc.Scans[0].Stats)
	}
}

// Item 7: a scan that read nothing says so on stderr and in the report;
// the policy input has the counts, so a team policy can deny it.
func TestEmptyScan(t *testing.T) {
	dir := t.TempDir()
	r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", dir)
	if r.code != exitPass {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	doc := decode(t, r.stdout)
	want := map[string]string{findings.ScannerDeps: "no lockfile or manifest found", findings.ScannerSecrets: "no file to scan"}
	for _, s := range doc.Scans {
		if !slices.Contains(s.Warnings, want[s.Scanner]) {
			t.Errorf("%s scan warnings %v, want %q", s.Scanner, s.Warnings, want[s.Scanner])
		}
		if line := "secgate: warning: " + s.Scanner + " scan of " + s.Target + ": " + want[s.Scanner]; !strings.Contains(r.stderr, line) {
			t.Errorf("stderr lacks %q:\n%s", line, r.stderr)
		}
	}
	schematest.Validate(t, schematest.Findings(t), []byte(r.stdout))

	policy := writeTree(t, map[string]string{"empty.rego": `package secgate.coverage

deny contains {"msg": sprintf("the %s scan read nothing", [s.scanner])} if {
	some s in input.scans
	s.stats.files == 0
}
`})
	r = secgate(t, "scan", "--offline-db", offlineDB, "-p", filepath.Join(policy, "empty.rego"), dir)
	if r.code != exitDenied || !strings.Contains(r.stderr, "the deps scan read nothing") {
		t.Errorf("team policy on an empty scan: exit %d: %s", r.code, r.stderr)
	}
}

// The same tree gives byte-identical reports in every format wherever it is
// checked out (two depths) and from whichever directory secgate runs (the
// checkout's root and a directory inside it; outside a git work tree, the
// target itself and an unrelated directory).
func TestReportsIndependentOfCheckout(t *testing.T) {
	db := absOfflineDB(t)
	t.Setenv("SOURCE_DATE_EPOCH", "1767225600")
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_OUTPUT", "")
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	tree := func(dir string) {
		if err := os.CopyFS(filepath.Join(dir, "sub"), os.DirFS(example)); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, "sub", "app", "requirements.txt"), "-r base.txt\n")
		write(t, filepath.Join(dir, "sub", "app", "base.txt"), "jinja2==3.1.2\n")
		write(t, filepath.Join(dir, "sub", "app", "deploy.env"), "export AWS_KEY="+awsKey+"\n")
	}
	type run struct{ wd, target string }
	reportsOf := func(runs []run) map[string]string {
		out := map[string]string{}
		for _, rn := range runs {
			t.Chdir(rn.wd)
			for _, format := range report.Formats {
				r := secgate(t, "scan", "--offline-db", db, "-f", format, rn.target)
				if r.code != exitDenied {
					t.Fatalf("%s from %s, %s: exit %d: %s", rn.target, rn.wd, format, r.code, r.stderr)
				}
				annotations := ""
				for _, l := range strings.Split(r.stderr, "\n") {
					if strings.HasPrefix(l, "::") {
						annotations += l + "\n"
					}
				}
				for name, got := range map[string]string{format: r.stdout, format + " annotations": annotations} {
					if want, ok := out[name]; !ok {
						out[name] = got
					} else if got != want {
						t.Errorf("%s differs for %s from %s:\n%s\n---\n%s", name, rn.target, rn.wd, got, want)
					}
				}
			}
		}
		return out
	}

	base := t.TempDir()
	var gitRuns, plainRuns []run
	for _, depth := range []string{"a", filepath.Join("b", "c", "d", "e")} {
		repo := filepath.Join(base, "git", depth, "repo")
		tree(repo)
		runGit(t, repo, "init", "-q")
		gitRuns = append(gitRuns, run{repo, "sub"}, run{filepath.Join(repo, "sub", "app"), ".."})

		plain := filepath.Join(base, "plain", depth, "tree")
		tree(plain)
		elsewhere := filepath.Join(base, "elsewhere", depth)
		if err := os.MkdirAll(elsewhere, 0o755); err != nil {
			t.Fatal(err)
		}
		plainRuns = append(plainRuns, run{filepath.Join(plain, "sub"), "."}, run{elsewhere, filepath.Join(plain, "sub")})
	}
	inGit := reportsOf(gitRuns)
	if !strings.Contains(inGit[report.FormatSARIF], `"uri": "sub/app/deploy.env"`) {
		t.Errorf("in a git work tree, paths are not relative to its top:\n%s", inGit[report.FormatSARIF])
	}
	plain := reportsOf(plainRuns)
	if !strings.Contains(plain[report.FormatSARIF], `"uri": "app/deploy.env"`) {
		t.Errorf("outside git, paths are not relative to the target:\n%s", plain[report.FormatSARIF])
	}
}
