package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/imagetest"
	"github.com/secgate/secgate/internal/schematest"
	"github.com/secgate/secgate/report"
)

// An image and a repository in one gate: one report, one decision; every
// format valid (the GitLab reports against the schemas of the version they
// declare), the image's packages in the container scanning report and not
// in the dependency scanning one; the image's secret in none of them.
func TestScanImageWithPath(t *testing.T) {
	rootfs := imagetest.DirFiles(t, filepath.Join(repoRoot, "testdata", "rootfs", "debian"))
	img := imagetest.Image(t, imagetest.Config{User: "app", History: []string{"ADD rootfs.tar / # buildkit", "COPY app / # buildkit"}},
		imagetest.Layer(t, rootfs),
		imagetest.Layer(t, []imagetest.File{{Name: "app/.env", Body: []byte("KEY=" + awsKey + "\n")}}))
	archive := imagetest.WriteArchive(t, img, t.TempDir())
	df := filepath.Join(t.TempDir(), "Dockerfile")
	write(t, df, "FROM debian:9\nUSER app\nCOPY app /\n")

	for _, format := range []string{"json", "sarif", "table", "gitlab", "gitlab-container", "gitlab-secrets"} {
		r := secgate(t, "scan", "--offline-db", offlineDB, "-f", format, "--image", "docker-archive:"+archive, "--dockerfile", df, filepath.Join(lockfiles, "go-vulnerable"))
		if r.code != exitDenied {
			t.Fatalf("%s: exit %d: %s", format, r.code, r.stderr)
		}
		for _, out := range []string{r.stdout, r.stderr} {
			if strings.Contains(out, awsKey[4:]) {
				t.Fatalf("%s output holds the image's secret", format)
			}
		}
		switch format {
		case "json":
			schematest.Validate(t, schematest.Findings(t), []byte(r.stdout))
			doc := decode(t, r.stdout)
			scanners := map[string]bool{}
			for _, s := range doc.Scans {
				scanners[s.Scanner] = true
			}
			if !scanners["deps"] || !scanners["secrets"] || !scanners["container"] {
				t.Errorf("scans %+v: want the path's and the image's", doc.Scans)
			}
			rules := map[string]findings.Finding{}
			for _, f := range doc.Findings {
				rules[f.RuleID] = f
			}
			for _, rule := range []string{"GO-2021-0113", "DLA-3008-1", "DLA-3022-1", "aws-access-token"} {
				if _, ok := rules[rule]; !ok {
					t.Errorf("no %s finding", rule)
				}
			}
			// The Dockerfile lies outside the report root (the lockfile's
			// directory): it is named by its base name, never by a path of
			// this machine.
			if f := rules["DLA-3022-1"]; f.Location.Dockerfile == nil || *f.Location.Dockerfile != (findings.FileLine{Path: "Dockerfile", Line: 1}) {
				t.Errorf("DLA-3022-1 at %+v, want the Dockerfile's FROM line", f.Location)
			}
			if f := rules["aws-access-token"]; f.Location.Dockerfile == nil || f.Location.Dockerfile.Line != 3 || f.Image == nil || f.Image.Layer == nil || f.Image.Layer.Index != 1 {
				t.Errorf("secret at %+v %+v, want COPY line 3, layer 1", f.Location, f.Image)
			}
			if _, ok := rules["image-runs-as-root"]; ok {
				t.Error("USER app reported as root")
			}
		case "sarif":
			schematest.Validate(t, schematest.SARIF(t, repoRoot), []byte(r.stdout))
		case "gitlab", "gitlab-container", "gitlab-secrets":
			checkGitLabReport(t, format, r.stdout)
		}
	}

	// --image alone scans only the image.
	r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "--image", archive)
	doc := decode(t, r.stdout)
	if len(doc.Scans) != 1 || doc.Scans[0].Scanner != "container" {
		t.Errorf("--image alone: scans %+v", doc.Scans)
	}
}

func TestScanImageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.tar")
	if err := os.WriteFile(bad, []byte("not an archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"docker-archive:" + bad, "oci:/nonexistent", "no such registry host!/x"} {
		r := secgate(t, "scan", "--offline-db", offlineDB, "--image", ref)
		if r.code != exitError || !strings.Contains(r.stderr, ref) {
			t.Errorf("%s: exit %d: %s", ref, r.code, r.stderr)
		}
	}
}

// --baseline with images: the base branch's image and the pull request's
// have other references and rebuilt layers, yet a finding they share is
// existing; only what the new image adds is denied.
func TestBaselineImage(t *testing.T) {
	rootfs := imagetest.DirFiles(t, filepath.Join(repoRoot, "testdata", "rootfs", "debian"))
	cfg := imagetest.Config{User: "root", Env: []string{"API_TOKEN=x"}, History: []string{"ADD rootfs.tar /", "COPY app /"}}
	appFiles := []imagetest.File{{Name: "app/.env", Body: []byte("KEY=" + awsKey + "\n")}}
	base := imagetest.Image(t, cfg, imagetest.Layer(t, rootfs), imagetest.Layer(t, appFiles))
	report := filepath.Join(t.TempDir(), "base.json")
	r := secgate(t, "scan", "--offline-db", offlineDB, "-q", "-f", "json", "-o", report, "--image", "docker-archive:"+imagetest.WriteArchive(t, base, t.TempDir()))
	if r.code != exitDenied {
		t.Fatalf("base image: exit %d: %s", r.code, r.stderr)
	}

	// The same content rebuilt: another reference (an OCI layout), and an
	// app layer whose bytes differ (one more file), so another diff id.
	rebuilt := append(appFiles, imagetest.File{Name: "app/VERSION", Body: []byte("2\n")})
	head := imagetest.Image(t, cfg, imagetest.Layer(t, rootfs), imagetest.Layer(t, rebuilt))
	r = secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "--baseline", report, "--image", "oci:"+imagetest.WriteLayout(t, head, t.TempDir()))
	if r.code != exitPass {
		for _, f := range decode(t, r.stdout).Findings {
			t.Logf("%s %s %s %s", f.Baseline, f.Decision, f.RuleID, f.Location.Path)
		}
		t.Fatalf("rebuilt image against the base's report: exit %d: %s", r.code, r.stderr)
	}

	// A new secret in the rebuilt image: only it is new and denied.
	withLeak := append(rebuilt, imagetest.File{Name: "app/ci.yml", Body: []byte("token: " + githubToken + "\n")})
	head = imagetest.Image(t, cfg, imagetest.Layer(t, rootfs), imagetest.Layer(t, withLeak))
	r = secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", "--baseline", report, "--image", "oci:"+imagetest.WriteLayout(t, head, t.TempDir()))
	if r.code != exitDenied {
		t.Fatalf("new secret: exit %d: %s", r.code, r.stderr)
	}
	for _, f := range decode(t, r.stdout).Findings {
		isNew := f.Image != nil && f.Image.Path == "/app/ci.yml"
		if (f.Baseline == findings.BaselineNew) != isNew || (f.Decision == findings.DecisionDeny) != isNew {
			t.Errorf("%s at %s: baseline %s, decision %s", f.RuleID, f.Location.Path, f.Baseline, f.Decision)
		}
	}
}

// checkGitLabReport validates a GitLab report of the image and lockfile
// scanned by TestScanImageWithPath and checks which findings it holds.
func checkGitLabReport(t *testing.T, format, out string) {
	t.Helper()
	tests := map[string]struct{ schema, has, hasNot string }{
		"gitlab":           {"dependency-scanning", "GO-2021-0113", "DLA-3008-1"},
		"gitlab-container": {"container-scanning", "DLA-3008-1", "GO-2021-0113"},
		"gitlab-secrets":   {"secret-detection", "aws-access-token", "DLA-3008-1"},
	}
	tt := tests[format]
	schematest.Validate(t, schematest.GitLab(t, repoRoot, report.GitLabSchemaVersion, tt.schema), []byte(out))
	var r struct {
		Version         string `json:"version"`
		Vulnerabilities []struct {
			Identifiers []struct{ Value string } `json:"identifiers"`
			Location    struct {
				Image           string `json:"image"`
				OperatingSystem string `json:"operating_system"`
			} `json:"location"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	rules := map[string]bool{}
	for _, v := range r.Vulnerabilities {
		rules[v.Identifiers[0].Value] = true
		if format == "gitlab-container" && (!strings.HasPrefix(v.Location.Image, "docker-archive:") || !strings.HasPrefix(v.Location.OperatingSystem, "Debian")) {
			t.Errorf("%s: location %+v", format, v.Location)
		}
	}
	if r.Version != report.GitLabSchemaVersion || !rules[tt.has] || rules[tt.hasNot] {
		t.Errorf("%s: version %s, rules %v: want %s, not %s", format, r.Version, rules, tt.has, tt.hasNot)
	}
}
