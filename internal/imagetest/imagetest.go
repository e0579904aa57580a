// Package imagetest builds container images in Go for tests, without a
// Docker engine: layers from in-memory files, images with a configuration
// and history, written as docker-archive or OCI layout, or pushed to an
// in-process registry on loopback.
package imagetest

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one tar entry of a layer.
type File struct {
	Name     string
	Body     []byte
	Mode     int64
	Type     byte // tar.TypeReg when zero
	Linkname string
}

// TarBytes is the tar archive of files, in order.
func TarBytes(t testing.TB, files []File) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		typ := f.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
			if typ == tar.TypeDir {
				mode = 0o755
			}
		}
		size := int64(len(f.Body))
		if typ != tar.TypeReg {
			size = 0
		}
		h := &tar.Header{Name: f.Name, Typeflag: typ, Mode: mode, Size: size, Linkname: f.Linkname, ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(f.Body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Layer is a gzip-compressed layer of files.
func Layer(t testing.TB, files []File) v1.Layer {
	t.Helper()
	return RawLayer(t, TarBytes(t, files))
}

// RawLayer is a layer whose uncompressed content is data, tar or not.
func RawLayer(t testing.TB, data []byte) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// DirFiles reads a directory into layer files (paths relative to dir).
func DirFiles(t testing.TB, dir string) []File {
	t.Helper()
	var out []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			out = append(out, File{Name: rel + "/", Type: tar.TypeDir})
			return nil
		}
		body, err := os.ReadFile(p)
		out = append(out, File{Name: rel, Body: body})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Config is the image configuration Image writes.
type Config struct {
	User string
	Env  []string
	// History holds one created_by per layer, in order.
	History []string
	// EmptyBefore adds, before layer i, history entries that create no
	// layer (ENV, WORKDIR, ...).
	EmptyBefore map[int][]string
}

// Image assembles layers with a configuration and history.
func Image(t testing.TB, cfg Config, layers ...v1.Layer) v1.Image {
	t.Helper()
	var adds []mutate.Addendum
	for i, l := range layers {
		h := v1.History{CreatedBy: "layer"}
		if i < len(cfg.History) {
			h.CreatedBy = cfg.History[i]
		}
		h.Created = v1.Time{Time: time.Unix(1700000000, 0).UTC()}
		adds = append(adds, mutate.Addendum{Layer: l, History: h})
	}
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	var history []v1.History
	for i, h := range cf.History {
		for _, e := range cfg.EmptyBefore[i] {
			history = append(history, v1.History{CreatedBy: e, EmptyLayer: true, Created: h.Created})
		}
		history = append(history, h)
	}
	cf.History = history
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.User = cfg.User
	cf.Config.Env = cfg.Env
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// WriteArchive writes img as a `docker save` archive and returns its path.
func WriteArchive(t testing.TB, img v1.Image, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "image.tar")
	tag, err := name.NewTag("secgate.test/app:1.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// WriteLayout writes img as an OCI image layout and returns its directory.
func WriteLayout(t testing.TB, img v1.Image, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "oci")
	lp, err := layout.Write(p, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return p
}

// Push serves an in-process registry on loopback for the test's lifetime,
// pushes img to it and returns its reference.
func Push(t testing.TB, img v1.Image) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(discardLogger())))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ref := u.Host + "/secgate/app:1.0"
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	return ref
}

// GoBinary builds a Go program that depends on golang.org/x/text v0.3.5,
// which its build info records. It builds offline from a vendored stub of
// the module: no network, no module cache.
func GoBinary(t testing.TB) []byte {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":             "module example.com/app\n\ngo 1.22\n\nrequire golang.org/x/text v0.3.5\n",
		"main.go":            "package main\n\nimport \"golang.org/x/text/language\"\n\nfunc main() { println(language.Name) }\n",
		"vendor/modules.txt": "# golang.org/x/text v0.3.5\n## explicit\ngolang.org/x/text/language\n",
		"vendor/golang.org/x/text/language/lang.go": "// Package language is a stand-in for tests.\npackage language\n\n// Name names it.\nconst Name = \"language\"\n",
	}
	for p, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "app")
	cmd := exec.Command("go", "build", "-mod=vendor", "-trimpath", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=vendor", "GOPROXY=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, strings.TrimSpace(string(b)))
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
