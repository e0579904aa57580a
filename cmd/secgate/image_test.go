package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/imagetest"
)

var built struct {
	once sync.Once
	dir  string
	err  error
	out  []byte
}

// secgateBinary builds secgate for linux/amd64 once per test run, as the
// release does (static, trimmed), and returns its path.
func secgateBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "secgate-bin")
		if built.err != nil {
			return
		}
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", filepath.Join(built.dir, "secgate"), ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		built.out, built.err = cmd.CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return filepath.Join(built.dir, "secgate")
}

// TestReleaseImage builds the image of the Dockerfile with
// go-containerregistry (no Docker daemon): its COPY lines, with the
// release's static binary for $TARGETPLATFORM, and its USER. secgate then
// scans it: the image's Go binary is found and matched, nothing critical,
// and it does not run as root.
func TestReleaseImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds secgate")
	}
	f, err := os.Open(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		cfg     imagetest.Config
		layers  []imagetest.File
		history []string
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch fields[0] {
		case "FROM":
			if fields[1] != "scratch" {
				t.Fatalf("FROM %s: the test builds FROM scratch only", fields[1])
			}
		case "USER":
			cfg.User = fields[1]
		case "COPY":
			srcs, dst := fields[1:len(fields)-1], fields[len(fields)-1]
			for _, src := range srcs {
				var body []byte
				if src == "$TARGETPLATFORM/secgate" {
					body, err = os.ReadFile(secgateBinary(t))
				} else {
					body, err = os.ReadFile(filepath.Join(repoRoot, src))
				}
				if err != nil {
					t.Fatal(err)
				}
				name := dst
				if strings.HasSuffix(dst, "/") {
					name = dst + filepath.Base(src)
				}
				layers = append(layers, imagetest.File{Name: strings.TrimPrefix(name, "/"), Body: body, Mode: 0o755})
			}
			history = append(history, sc.Text()+" # buildkit")
		}
	}
	if cfg.User == "" || len(layers) < 3 {
		t.Fatalf("Dockerfile: user %q, %d files", cfg.User, len(layers))
	}
	cfg.History = history
	img := imagetest.Image(t, cfg, imagetest.Layer(t, layers))
	archive := imagetest.WriteArchive(t, img, t.TempDir())

	r := secgate(t, "scan", "--offline-db", offlineDB, "--scanners", "container", "-f", "json", "--image", "docker-archive:"+archive)
	if r.code != exitPass {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	doc := decode(t, r.stdout)
	if n := doc.Scans[0].Stats["packages"]; n < 20 {
		t.Errorf("%d packages: the binary's modules were not read (stats %v)", n, doc.Scans[0].Stats)
	}
	for _, f := range doc.Findings {
		if f.Severity == findings.SeverityCritical || f.RuleID == "image-runs-as-root" {
			t.Errorf("%s %s (%s) at %s", f.Severity, f.RuleID, f.Title, f.Location.Path)
		}
	}
}
