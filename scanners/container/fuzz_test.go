package container

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/secgate/secgate/internal/imagetest"
)

// FuzzLayerGuard: any bytes as a layer are read through the guard to the
// end or refused with ErrHostileImage, never a panic or a hang; whatever
// it accepts is a tar stream whose entries stay inside the root.
func FuzzLayerGuard(f *testing.F) {
	f.Add(imagetest.TarBytes(f, []imagetest.File{{Name: "etc/hostname", Body: []byte("box\n")}}))
	f.Add(imagetest.TarBytes(f, []imagetest.File{{Name: "../escape", Body: []byte("x")}}))
	f.Add(imagetest.TarBytes(f, []imagetest.File{{Name: "link", Type: tar.TypeSymlink, Linkname: "../../etc/passwd"}}))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &guardedImage{limits: Limits{MaxFileSize: 1 << 20, MaxLayerSize: 4 << 20, MaxLayers: 10, MaxFileViews: 1 << 16}}
		layer := &guardedLayer{Layer: bytesLayer(data), image: g}
		rc, err := layer.Uncompressed()
		if err != nil {
			if !errors.Is(err, ErrHostileImage) {
				t.Fatalf("Uncompressed: %v", err)
			}
			return
		}
		_, rerr := io.Copy(io.Discard, rc)
		cerr := rc.Close()
		if gerr := g.Err(); gerr != nil {
			if !errors.Is(gerr, ErrHostileImage) {
				t.Fatalf("guard error %v is not ErrHostileImage", gerr)
			}
			return
		}
		if rerr != nil || cerr != nil {
			t.Fatalf("read %v, close %v, without a guard error", rerr, cerr)
		}
		tr := tar.NewReader(bytes.NewReader(data))
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if escapes(h.Name) {
				t.Fatalf("accepted %q", h.Name)
			}
		}
	})
}

// FuzzArchive: any bytes as a docker archive open as an image or fail,
// never a panic.
func FuzzArchive(f *testing.F) {
	dir := f.TempDir()
	img := imagetest.Image(f, imagetest.Config{}, imagetest.Layer(f, []imagetest.File{{Name: "a", Body: []byte("b")}}))
	if data, err := os.ReadFile(imagetest.WriteArchive(f, img, dir)); err == nil {
		f.Add(data)
	}
	f.Add(imagetest.TarBytes(f, []imagetest.File{{Name: "manifest.json", Body: []byte(`[{"Config": "c.json", "Layers": ["l.tar", "l.tar"]}]`)}, {Name: "c.json", Body: []byte(`{"rootfs": {"diff_ids": []}}`)}}))
	p := filepath.Join(f.TempDir(), "a.tar")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		img, err := fromArchive(p)
		if err != nil {
			return
		}
		defer img.(io.Closer).Close()
		if _, err := img.ConfigFile(); err != nil {
			t.Fatalf("opened, but no configuration: %v", err)
		}
		if _, err := img.Layers(); err != nil {
			return
		}
	})
}

// bytesLayer is a layer whose bytes, compressed or not, are its own.
type bytesLayer []byte

func (b bytesLayer) Digest() (v1.Hash, error)           { return v1.Hash{}, errors.New("no digest") }
func (b bytesLayer) DiffID() (v1.Hash, error)           { return v1.Hash{}, errors.New("no diff id") }
func (b bytesLayer) Compressed() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
func (b bytesLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b)), nil
}
func (b bytesLayer) Size() (int64, error)                { return int64(len(b)), nil }
func (b bytesLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }

// FuzzDockerfile: any bytes are a Dockerfile or an error, never a panic.
func FuzzDockerfile(f *testing.F) {
	f.Add([]byte("# app\nFROM debian:9\nENV A=1 \\\n  B=2\nRUN apt-get update && \\\n  # comment\n  apt-get install -y curl\nCOPY app /\nUSER app\n"))
	f.Add([]byte("FROM a AS b\nFROM c\n"))
	f.Add([]byte("RUN x \\"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "Dockerfile")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		df, err := parseDockerfile("", p)
		if err != nil {
			return
		}
		if df.from.keyword != "FROM" {
			t.Fatalf("stage without FROM: %+v", df.from)
		}
	})
}
