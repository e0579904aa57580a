package container

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"

	"github.com/secgate/secgate/safefile"
)

// Limits of a docker archive's own files: the manifest and the
// configuration are JSON that secgate reads whole.
const (
	maxArchiveEntries = 1 << 20
	maxArchiveJSON    = 64 << 20
)

// fromArchive reads a `docker save` archive with one pass over its tar
// headers: every later read of a layer seeks to its entry.
// go-containerregistry's tarball reader scans the archive from its start
// for each file it opens, which is quadratic in the number of layers
// (1,000 layers took 10 s, 2,000 took 43 s). The archive must hold one
// image, and its manifest must list as many layers as the configuration
// has diff ids.
func fromArchive(file string) (v1.Image, error) {
	f, err := safefile.Open("", file, safefile.Kind{Name: "docker archive"})
	if err != nil {
		return nil, err
	}
	a := &archive{f: f, entries: map[string]archiveEntry{}}
	if err := a.index(); err != nil {
		f.Close()
		return nil, fmt.Errorf("read docker archive: %w", err)
	}
	img, err := a.image()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read docker archive: %w", err)
	}
	return img, nil
}

type archiveEntry struct {
	offset, size int64
}

type archive struct {
	f       *os.File
	entries map[string]archiveEntry
	config  []byte
	layers  map[v1.Hash]string // diff id → entry name
}

// index records the offset and size of every regular file of the archive.
func (a *archive) index() error {
	tr := tar.NewReader(a.f) // an *os.File: the reader seeks over contents
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if n >= maxArchiveEntries {
			return fmt.Errorf("more than %d entries", maxArchiveEntries)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		off, err := a.f.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		a.entries[path.Clean(h.Name)] = archiveEntry{offset: off, size: h.Size}
	}
}

func (a *archive) read(name string, limit int64) ([]byte, error) {
	e, ok := a.entries[path.Clean(name)]
	if !ok {
		return nil, fmt.Errorf("no file %s in the archive", name)
	}
	if e.size > limit {
		return nil, fmt.Errorf("%s is %d bytes, over the %d-byte limit", name, e.size, limit)
	}
	data := make([]byte, e.size)
	if _, err := a.f.ReadAt(data, e.offset); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}

func (a *archive) image() (v1.Image, error) {
	raw, err := a.read("manifest.json", maxArchiveJSON)
	if err != nil {
		return nil, err
	}
	var manifest []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if len(manifest) != 1 {
		return nil, fmt.Errorf("manifest.json lists %d images, want 1", len(manifest))
	}
	m := manifest[0]
	if a.config, err = a.read(m.Config, maxArchiveJSON); err != nil {
		return nil, err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(a.config))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Config, err)
	}
	if len(m.Layers) != len(cfg.RootFS.DiffIDs) {
		return nil, fmt.Errorf("%w: the manifest lists %d layers, the configuration %d diff ids", ErrHostileImage, len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	a.layers = map[v1.Hash]string{}
	for i, l := range m.Layers {
		if _, ok := a.entries[path.Clean(l)]; !ok {
			return nil, fmt.Errorf("manifest.json names layer %s, which the archive lacks", l)
		}
		if _, dup := a.layers[cfg.RootFS.DiffIDs[i]]; !dup {
			a.layers[cfg.RootFS.DiffIDs[i]] = l
		}
	}
	img, err := partial.UncompressedToImage(a)
	if err != nil {
		return nil, err
	}
	return &archiveImage{Image: img, cfg: cfg, closer: a.f}, nil
}

// RawConfigFile, MediaType and LayerByDiffID make the archive a
// partial.UncompressedImageCore.
func (a *archive) RawConfigFile() ([]byte, error) { return a.config, nil }

func (a *archive) MediaType() (types.MediaType, error) { return types.DockerManifestSchema2, nil }

func (a *archive) LayerByDiffID(h v1.Hash) (partial.UncompressedLayer, error) {
	name, ok := a.layers[h]
	if !ok {
		return nil, fmt.Errorf("no layer with diff id %s", h)
	}
	return &archiveLayer{a: a, entry: a.entries[path.Clean(name)], diffID: h}, nil
}

// archiveImage caches the parsed configuration: the partial package parses
// it again at every call, and callers ask for it per layer.
type archiveImage struct {
	v1.Image
	cfg    *v1.ConfigFile
	closer io.Closer
}

func (i *archiveImage) ConfigFile() (*v1.ConfigFile, error) { return i.cfg, nil }

// Close closes the archive.
func (i *archiveImage) Close() error { return i.closer.Close() }

type archiveLayer struct {
	a      *archive
	entry  archiveEntry
	diffID v1.Hash
}

func (l *archiveLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }

func (l *archiveLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }

// Uncompressed reads the layer's entry, decompressing it when it is gzip or
// zstd (as docker and go-containerregistry write them).
func (l *archiveLayer) Uncompressed() (io.ReadCloser, error) {
	br := bufio.NewReader(io.NewSectionReader(l.a.f, l.entry.offset, l.entry.size))
	magic, _ := br.Peek(4)
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		return zr, nil
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}
