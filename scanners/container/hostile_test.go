package container

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/imagetest"
	"github.com/secgate/secgate/osv"
	"github.com/secgate/secgate/scanners"
	"github.com/secgate/secgate/scanners/secrets"
)

// scanImage scans the image ref, named ref, against the offline database
// db, with the default secret rules and paths relative to root.
func scanImage(ctx context.Context, t testing.TB, ref, db string, opts Options, root findings.Root) (*scanners.Result, error) {
	t.Helper()
	env := scanners.Env{Root: root, Matcher: osv.NewOffline(db)}
	s, err := NewType(opts, env, secrets.NewRuleSource("", "")).New(scanners.Target{Kind: findings.TargetImage, Name: ref, Path: ref})
	if err != nil {
		return nil, err
	}
	return s.Scan(ctx)
}

func scanRef(t *testing.T, ref string, limits Limits) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := scanImage(ctx, t, ref, filepath.Join("..", "..", "testdata", "osvdb"), Options{Limits: limits}, findings.Root{})
	return err
}

// Hostile and corrupt images are refused with an error naming the image
// and the layer; nothing is written outside the temporary directory; no
// scan hangs.
func TestHostileImages(t *testing.T) {
	ok := imagetest.File{Name: "etc/hostname", Body: []byte("box\n")}
	zeros := bytes.Repeat([]byte{0}, 4<<20)
	tests := []struct {
		name   string
		layer  func(t *testing.T) []byte // uncompressed layer content
		limits Limits
		want   string
	}{
		{"path traversal", func(t *testing.T) []byte {
			return imagetest.TarBytes(t, []imagetest.File{ok, {Name: "../../../secgate-evil.txt", Body: []byte("x")}})
		}, Limits{}, "escapes the root"},
		{"nested traversal", func(t *testing.T) []byte {
			return imagetest.TarBytes(t, []imagetest.File{{Name: "usr/../../secgate-evil.txt", Body: []byte("x")}})
		}, Limits{}, "escapes the root"},
		{"symlink out", func(t *testing.T) []byte {
			return imagetest.TarBytes(t, []imagetest.File{{Name: "etc/passwd-link", Type: tar.TypeSymlink, Linkname: "../../../../etc/passwd"}})
		}, Limits{}, "points outside the root"},
		{"hard link out", func(t *testing.T) []byte {
			return imagetest.TarBytes(t, []imagetest.File{{Name: "x", Type: tar.TypeLink, Linkname: "../../etc/shadow"}})
		}, Limits{}, "points outside the root"},
		{"device file", func(t *testing.T) []byte {
			return imagetest.TarBytes(t, []imagetest.File{{Name: "dev/sda", Type: tar.TypeBlock}})
		}, Limits{}, "device"},
		{"huge file", func(t *testing.T) []byte {
			return imagetest.TarBytes(t, []imagetest.File{{Name: "big.bin", Body: zeros}})
		}, Limits{MaxFileSize: 1 << 20}, "over the 1048576-byte limit"},
		{"decompression bomb", func(t *testing.T) []byte {
			var files []imagetest.File
			for i := range 8 {
				files = append(files, imagetest.File{Name: "zeros/" + string(rune('a'+i)), Body: zeros})
			}
			return imagetest.TarBytes(t, files)
		}, Limits{MaxLayerSize: 8 << 20}, "decompression bomb"},
		{"truncated layer", func(t *testing.T) []byte {
			// Cut inside the second file's content: its header promises
			// 4096 bytes that never come.
			b := imagetest.TarBytes(t, []imagetest.File{ok, {Name: "data", Body: bytes.Repeat([]byte("x"), 4096)}})
			return b[:1024+512+1000]
		}, Limits{}, "not a valid tar stream"},
		{"not a tar", func(t *testing.T) []byte {
			return bytes.Repeat([]byte("this is not a tar archive\n"), 100)
		}, Limits{}, "not a valid tar stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			wd, _ := os.Getwd()
			img := imagetest.Image(t, imagetest.Config{User: "app"},
				imagetest.Layer(t, []imagetest.File{ok}),
				imagetest.RawLayer(t, tt.layer(t)))
			archive := imagetest.WriteArchive(t, img, dir)
			ref := DockerArchive + archive
			err := scanRef(t, ref, tt.limits)
			if err == nil {
				t.Fatal("scan succeeded")
			}
			if !errors.Is(err, ErrHostileImage) {
				t.Errorf("error %v is not ErrHostileImage", err)
			}
			for _, want := range []string{ref, "layer 1", tt.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			for _, d := range []string{dir, filepath.Dir(dir), wd, filepath.Dir(wd)} {
				if _, err := os.Stat(filepath.Join(d, "secgate-evil.txt")); err == nil {
					t.Errorf("a file escaped into %s", d)
				}
			}
		})
	}
}

// A docker archive whose manifest names a layer it does not hold.
func TestManifestPointsNowhere(t *testing.T) {
	dir := t.TempDir()
	img := imagetest.Image(t, imagetest.Config{}, imagetest.Layer(t, []imagetest.File{{Name: "a", Body: []byte("a")}}))
	good := imagetest.WriteArchive(t, img, dir)
	// Rewrite the archive without its layer blob.
	in, err := os.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var out bytes.Buffer
	tr, tw := tar.NewReader(in), tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		if strings.HasSuffix(h.Name, ".tar.gz") { // go-containerregistry's layer blobs
			continue
		}
		body := new(bytes.Buffer)
		_, _ = body.ReadFrom(tr)
		_ = tw.WriteHeader(h)
		_, _ = tw.Write(body.Bytes())
	}
	tw.Close()
	broken := filepath.Join(dir, "broken.tar")
	if err := os.WriteFile(broken, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := tarball.ImageFromPath(good, nil); err != nil {
		t.Fatal(err)
	}
	err = scanRef(t, DockerArchive+broken, Limits{})
	if err == nil || !strings.Contains(err.Error(), broken) {
		t.Fatalf("err = %v, want an error naming the archive", err)
	}
}

func TestMissingImage(t *testing.T) {
	for _, ref := range []string{DockerArchive + "/nonexistent/image.tar", OCILayout + "/nonexistent/oci", RootFS + "/nonexistent/rootfs"} {
		err := scanRef(t, ref, Limits{})
		if err == nil || !strings.Contains(err.Error(), ref) {
			t.Errorf("%s: err = %v, want an error naming it", ref, err)
		}
	}
}

// A layer whose content does not hash to the diff id the configuration
// records is refused: the configuration is what layers are named by.
func TestDiffIDMismatch(t *testing.T) {
	img := imagetest.Image(t, imagetest.Config{User: "app"},
		imagetest.Layer(t, []imagetest.File{{Name: "a", Body: []byte("a")}}),
		imagetest.Layer(t, []imagetest.File{{Name: "b", Body: []byte("b")}}))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.RootFS.DiffIDs[1] = cf.RootFS.DiffIDs[0]
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	ref := OCILayout + imagetest.WriteLayout(t, img, t.TempDir())
	err = scanRef(t, ref, Limits{})
	if !errors.Is(err, ErrHostileImage) || !strings.Contains(err.Error(), "layer 1") || !strings.Contains(err.Error(), "diff id") {
		t.Fatalf("err = %v, want a diff id mismatch on layer 1", err)
	}
}
