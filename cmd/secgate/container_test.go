package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/imagetest"
	"github.com/secgate/secgate/internal/schematest"
)

// An image and a repository in one gate: one report, one decision; every
// format valid; the image's secret in none of them.
func TestScanImageWithPath(t *testing.T) {
	rootfs := imagetest.DirFiles(t, filepath.Join(repoRoot, "testdata", "rootfs", "debian"))
	img := imagetest.Image(t, imagetest.Config{User: "app", History: []string{"ADD rootfs.tar / # buildkit", "COPY app / # buildkit"}},
		imagetest.Layer(t, rootfs),
		imagetest.Layer(t, []imagetest.File{{Name: "app/.env", Body: []byte("KEY=" + awsKey + "\n")}}))
	archive := imagetest.WriteArchive(t, img, t.TempDir())
	df := filepath.Join(t.TempDir(), "Dockerfile")
	write(t, df, "FROM debian:9\nUSER app\nCOPY app /\n")

	for _, format := range []string{"json", "sarif", "table"} {
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
			if f := rules["DLA-3022-1"]; f.Location.Path != filepath.ToSlash(filepath.Clean(df)) || f.Location.Line != 1 {
				t.Errorf("DLA-3022-1 at %+v, want the Dockerfile's FROM line", f.Location)
			}
			if f := rules["aws-access-token"]; f.Location.Line != 3 || f.Image == nil || f.Image.Layer == nil || f.Image.Layer.Index != 1 {
				t.Errorf("secret at %+v %+v, want COPY line 3, layer 1", f.Location, f.Image)
			}
			if _, ok := rules["image-runs-as-root"]; ok {
				t.Error("USER app reported as root")
			}
		case "sarif":
			schematest.Validate(t, schematest.SARIF(t, repoRoot), []byte(r.stdout))
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
