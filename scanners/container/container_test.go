package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/imagetest"
	"github.com/secgate/secgate/scanners"
)

var testDB = filepath.Join("..", "..", "testdata", "osvdb")

// testImage is the image the tests scan from every source: layer 0 is the
// Debian root filesystem of testdata/rootfs/debian (a dpkg status with
// vulnerable dpkg and libssl1.1), layer 1 a Go binary built with
// golang.org/x/text v0.3.5 and a file with a credential; no USER (root).
func testImage(t *testing.T) (imagetest.Config, []imagetest.File, []imagetest.File) {
	rootfs := imagetest.DirFiles(t, filepath.Join("..", "..", "testdata", "rootfs", "debian"))
	app := []imagetest.File{
		{Name: "usr/local/bin/app", Body: imagetest.GoBinary(t), Mode: 0o755},
		{Name: "app/deploy.env", Body: []byte("AWS_ACCESS_KEY_ID=" + "AKIA" + "Z5Q3RT7WN2XK4PLM" + "\n")},
	}
	cfg := imagetest.Config{
		History:     []string{"ADD rootfs.tar / # buildkit", "COPY app / # buildkit"},
		EmptyBefore: map[int][]string{1: {"ENV LANG=C.UTF-8"}},
	}
	return cfg, rootfs, app
}

type got struct {
	rule, pkg, path string
	layer           int
}

func summarize(fs []findings.Finding) []got {
	var out []got
	for _, f := range fs {
		g := got{rule: f.RuleID, layer: -1}
		if f.Package != nil {
			g.pkg = f.Package.Name + "@" + f.Package.Version
		}
		if f.Image != nil {
			g.path = f.Image.Path
			if f.Image.Layer != nil {
				g.layer = f.Image.Layer.Index
			}
		}
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b got) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return out
}

// Every source of the same image gives the same findings: the dpkg
// advisories in layer 0, the Go module's advisory in layer 1, the secret in
// layer 1, and the root user.
func TestSourcesGiveSameFindings(t *testing.T) {
	cfg, rootfs, app := testImage(t)
	img := imagetest.Image(t, cfg, imagetest.Layer(t, rootfs), imagetest.Layer(t, app))
	dir := t.TempDir()
	refs := map[string]string{
		"docker-archive": DockerArchive + imagetest.WriteArchive(t, img, dir),
		"plain tar":      imagetest.WriteArchive(t, img, t.TempDir()),
		"oci layout":     OCILayout + imagetest.WriteLayout(t, img, dir),
		"registry":       imagetest.Push(t, img),
	}
	want := []got{
		{rule: RuleRunsAsRoot, layer: -1},
		{rule: "DLA-3008-1", pkg: "libssl1.1@1.1.0l-1~deb9u5", path: "/var/lib/dpkg/status", layer: 0},
		{rule: "DLA-3022-1", pkg: "dpkg@1.18.25", path: "/var/lib/dpkg/status", layer: 0},
		{rule: "GO-2021-0113", pkg: "golang.org/x/text@0.3.5", path: "/usr/local/bin/app", layer: 1},
		{rule: "aws-access-token", path: "/app/deploy.env", layer: 1},
	}
	slices.SortFunc(want, func(a, b got) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	for name, ref := range refs {
		t.Run(name, func(t *testing.T) {
			res, err := scanImage(context.Background(), t, ref, testDB, Options{}, findings.Root{})
			if err != nil {
				t.Fatal(err)
			}
			if g := summarize(res.Findings); !slices.Equal(g, want) {
				t.Errorf("findings:\n got %v\nwant %v", g, want)
			}
			for _, f := range res.Findings {
				if f.Scanner != findings.ScannerContainer || f.Image == nil || f.Image.Ref != ref {
					t.Errorf("%s: scanner %s image %+v", f.RuleID, f.Scanner, f.Image)
				}
				if l := f.Image.Layer; l != nil && (!strings.HasPrefix(l.DiffID, "sha256:") || l.Command == "") {
					t.Errorf("%s: layer %+v lacks its diff id or command", f.RuleID, l)
				}
				if f.Location.Path != strings.TrimPrefix(f.Image.Path, "/") || f.Location.Dockerfile != nil {
					t.Errorf("%s: location %+v, image path %s", f.RuleID, f.Location, f.Image.Path)
				}
			}
			if st := res.Scan.Stats; st["layers"] != 2 || st["packages"] < 5 {
				t.Errorf("stats %v", st)
			}
		})
	}
}

// A root filesystem directory is an image of one layer.
func TestRootFS(t *testing.T) {
	for _, tt := range []struct {
		dir  string
		want []string
	}{
		{"debian", []string{"DLA-3008-1", "DLA-3022-1", RuleRunsAsRoot}},
		{"alpine", []string{"ALPINE-CVE-2025-26519", RuleRunsAsRoot}},
	} {
		t.Run(tt.dir, func(t *testing.T) {
			ref := RootFS + filepath.Join("..", "..", "testdata", "rootfs", tt.dir)
			res, err := scanImage(context.Background(), t, ref, testDB, Options{}, findings.Root{})
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, f := range res.Findings {
				rules = append(rules, f.RuleID)
			}
			slices.Sort(rules)
			if !slices.Equal(rules, tt.want) {
				t.Errorf("rules %v, want %v", rules, tt.want)
			}
		})
	}
}

// An image whose OS packages need an ecosystem the offline DB lacks is an
// error, not a pass.
func TestMissingOSDatabase(t *testing.T) {
	db := t.TempDir()
	if err := os.CopyFS(filepath.Join(db, "Go"), os.DirFS(filepath.Join(testDB, "Go"))); err != nil {
		t.Fatal(err)
	}
	ref := RootFS + filepath.Join("..", "..", "testdata", "rootfs", "debian")
	_, err := scanImage(context.Background(), t, ref, db, Options{}, findings.Root{})
	if err == nil || !strings.Contains(err.Error(), "Debian") || !strings.Contains(err.Error(), ref) {
		t.Fatalf("err = %v, want an error naming Debian and the image", err)
	}
}

// The image's configuration: root user, credentials in ENV and history;
// values never in the findings.
func TestImageConfiguration(t *testing.T) {
	token := "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
	layer := imagetest.Layer(t, []imagetest.File{{Name: "etc/hostname", Body: []byte("box\n")}})
	img := imagetest.Image(t, imagetest.Config{
		User:    "0:0",
		Env:     []string{"PATH=/usr/bin", "GITHUB_TOKEN=" + token, "DB_PASSWORD=hunter2", "SECRET_FILE=/run/secrets/x", "EMPTY_TOKEN="},
		History: []string{"RUN curl -H 'Authorization: token " + token + "' https://example.com/x # buildkit"},
	}, layer)
	ref := DockerArchive + imagetest.WriteArchive(t, img, t.TempDir())
	res, err := scanImage(context.Background(), t, ref, testDB, Options{}, findings.Root{})
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, f := range res.Findings {
		rules = append(rules, f.RuleID+" "+string(f.Severity))
		if strings.Contains(fmt.Sprintf("%+v %+v", f, *f.Image), token[4:]) || strings.Contains(f.Title, "hunter2") {
			t.Errorf("finding %s holds a secret: %+v", f.RuleID, f)
		}
		if f.Image.Layer != nil && strings.Contains(f.Image.Layer.Command, token[4:]) {
			t.Errorf("layer command holds the token: %q", f.Image.Layer.Command)
		}
	}
	slices.Sort(rules)
	want := []string{RuleEnvCredential + " high", RuleEnvSecret + " critical", RuleHistorySecret + " critical", RuleRunsAsRoot + " medium"}
	if !slices.Equal(rules, want) {
		t.Errorf("rules %v, want %v", rules, want)
	}
}

// With a Dockerfile, findings point at the line of the instruction that
// made their layer: base-image layers at FROM.
func TestDockerfileLocations(t *testing.T) {
	cfg, rootfs, app := testImage(t)
	img := imagetest.Image(t, cfg, imagetest.Layer(t, rootfs), imagetest.Layer(t, app))
	ref := DockerArchive + imagetest.WriteArchive(t, img, t.TempDir())
	df := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(df, []byte("# app image\nFROM debian:9\n\nENV LANG=C.UTF-8\nCOPY app /\nCMD [\"/usr/local/bin/app\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := scanImage(context.Background(), t, ref, testDB, Options{Dockerfile: df}, dfRoot(t, df))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{}
	for _, f := range res.Findings {
		d := f.Location.Dockerfile
		if d == nil || d.Path != "Dockerfile" {
			t.Errorf("%s at %+v", f.RuleID, f.Location)
			continue
		}
		lines[f.RuleID] = d.Line
	}
	want := map[string]int{"DLA-3008-1": 2, "DLA-3022-1": 2, "GO-2021-0113": 5, "aws-access-token": 5, RuleRunsAsRoot: 2}
	for rule, line := range want {
		if lines[rule] != line {
			t.Errorf("%s at line %d, want %d (all: %v)", rule, lines[rule], line, lines)
		}
	}
}

// dfRoot is a report root at the Dockerfile's directory.
func dfRoot(t *testing.T, df string) findings.Root {
	t.Helper()
	root, err := findings.RootAt(filepath.Dir(df))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// A container finding is the same problem in two runs when it says the
// same of it: the image's name, the layer's digest and the ID change with
// every build.
func TestIdentity(t *testing.T) {
	img := func(id, ref, diffID, path string) findings.Finding {
		return findings.Finding{
			ID: id, Scanner: findings.ScannerContainer, Kind: findings.KindSecret, RuleID: "aws-access-token",
			Location: findings.Location{Target: ref, Path: path[1:], Line: 3},
			Image:    &findings.Image{Ref: ref, Path: path, Layer: &findings.Layer{Index: 1, DiffID: diffID}},
			Secret:   &findings.Secret{Redacted: "AKIA…", Confidence: "high", Fingerprint: "0123456789abcdef0123456789abcdef"},
		}
	}
	ty := NewType(Options{}, scanners.Env{}, nil)
	base := img("a", "app:main", "sha256:1", "/app/.env")
	other := func(edit func(*findings.Finding)) findings.Finding {
		f := base
		image, secret := *base.Image, *base.Secret
		f.Image, f.Secret = &image, &secret
		edit(&f)
		return f
	}
	tests := []struct {
		name string
		f    findings.Finding
		same bool
	}{
		{"rebuilt: other ref, layer, id, location", img("b", "app:pr-42", "sha256:2", "/app/.env"), true},
		{"other file", img("c", "app:main", "sha256:1", "/app/.env.prod"), false},
		{"other secret", other(func(f *findings.Finding) { f.Secret.Fingerprint = "00000000000000000000000000000002" }), false},
		{"other rule", other(func(f *findings.Finding) { f.RuleID = "github-pat" }), false},
	}
	for _, tc := range tests {
		if got := ty.Identity(&tc.f) == ty.Identity(&base); got != tc.same {
			t.Errorf("%s: same identity = %v, want %v", tc.name, got, tc.same)
		}
	}
	vuln := func(version string) findings.Finding {
		return findings.Finding{ID: "x", Scanner: findings.ScannerContainer, Kind: findings.KindVulnerability, RuleID: "DLA-3022-1",
			Image: &findings.Image{Ref: "r", Path: "/var/lib/dpkg/status"}, Package: &findings.Package{Name: "openssl", Version: version, Ecosystem: "Debian:9"}}
	}
	a, b := vuln("1.1.0l-1~deb9u5"), vuln("1.1.0l-1~deb9u6")
	if ty.Identity(&a) == ty.Identity(&b) {
		t.Error("another package version has the same identity")
	}
}
