package container

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/klauspost/compress/zstd"
)

// ErrHostileImage is wrapped by every error about an image whose layers a
// scanner must not trust: entries escaping the root, links pointing out of
// it, device files, files or layers over the limits (decompression bombs),
// layers that are not tar streams or end early.
var ErrHostileImage = errors.New("refusing hostile or corrupt image")

// Limits bound what the scanner reads from an image.
type Limits struct {
	// MaxFileSize is the largest file a layer may hold.
	MaxFileSize int64
	// MaxLayerSize is the most uncompressed bytes a layer may hold.
	MaxLayerSize int64
	// MaxLayers is the most layers an image may have.
	MaxLayers int
	// MaxFileViews bounds the files of an image counted once in every
	// layer's view of the file system (a file of layer i of n counts
	// n-i times): osv-scalibr builds one view per layer, so its time and
	// memory grow with this product, not with the files alone.
	MaxFileViews int64
}

// Default limits: large enough for real images (1 GiB files, 16 GiB
// layers), small enough that a decompression bomb stops.
const (
	DefaultMaxFileSize  = 1 << 30
	DefaultMaxLayerSize = 16 << 30
	// DefaultMaxLayers is far above real images (Docker's overlay storage
	// stops at 127 layers) and bounds the work an image of thousands of
	// tiny layers makes.
	DefaultMaxLayers = 500
	// DefaultMaxFileViews is above real images (a 30-layer image on a
	// 40,000-file base is 1.2 million) and keeps the views under about
	// 300 MB and a few seconds (each costs about 200 bytes and 2-3 µs).
	DefaultMaxFileViews = 1_500_000
)

// checkLayers refuses an image whose configuration and manifest disagree on
// the layers (a layer without a diff id would be read by nobody: its
// files, secrets among them, never scanned) or that has more layers than
// the limit.
func checkLayers(img v1.Image, cfg *v1.ConfigFile, limits Limits) error {
	layers, err := img.Layers()
	if err != nil {
		return fmt.Errorf("%w: read the layers: %w", ErrHostileImage, err)
	}
	if _, own := img.(rootFSImage); !own && len(layers) != len(cfg.RootFS.DiffIDs) {
		n, ids := len(layers), len(cfg.RootFS.DiffIDs)
		return fmt.Errorf("%w: the manifest lists %d layers, the configuration %d diff ids", ErrHostileImage, n, ids)
	}
	if len(layers) > limits.MaxLayers {
		return fmt.Errorf("%w: %d layers, over the limit of %d (--max-layers)", ErrHostileImage, len(layers), limits.MaxLayers)
	}
	return nil
}

// guardedImage checks every layer as it is read. osv-scalibr, which builds
// the image's file system, skips path-traversal entries and links pointing
// out of the root and carries on; a gate must refuse such an image instead.
// The check runs on the same decompressed stream (a tee into a tar reader),
// so the layer is decompressed once.
type guardedImage struct {
	v1.Image
	cfg    *v1.ConfigFile // parsed once: go-containerregistry parses it at every call
	limits Limits
	// diffIDs are the layers' digests from the image configuration.
	diffIDs []v1.Hash
	// verifyDigests checks each layer's compressed bytes against the
	// digest the manifest gives (OCI layouts; a registry's are checked by
	// go-containerregistry, an archive's and a root filesystem's have
	// none).
	verifyDigests bool

	views atomic.Int64 // file views so far (see Limits.MaxFileViews)

	mu  sync.Mutex
	err error // the first problem found
}

// ConfigFile is the configuration parsed once.
func (g *guardedImage) ConfigFile() (*v1.ConfigFile, error) { return g.cfg, nil }

func (g *guardedImage) fail(err error) {
	g.mu.Lock()
	if g.err == nil {
		g.err = err
	}
	g.mu.Unlock()
}

// Err returns the first problem found in a layer read so far.
func (g *guardedImage) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

func (g *guardedImage) Layers() ([]v1.Layer, error) {
	layers, err := g.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(layers))
	for i, l := range layers {
		out[i] = &guardedLayer{Layer: l, index: i, image: g}
	}
	return out, nil
}

type guardedLayer struct {
	v1.Layer
	index int
	image *guardedImage
}

// DiffID is the layer's digest as the image configuration records it.
// go-containerregistry would compute it by decompressing the whole layer,
// and osv-scalibr asks twice per layer before reading it: the guard checks
// the digest instead, on the one pass that reads the layer.
func (l *guardedLayer) DiffID() (v1.Hash, error) {
	if l.index < len(l.image.diffIDs) {
		return l.image.diffIDs[l.index], nil
	}
	return l.Layer.DiffID()
}

// describe names a layer in errors: its index and diff id.
func describe(index int, l v1.Layer) string {
	if id, err := l.DiffID(); err == nil {
		return fmt.Sprintf("layer %d (%s)", index, id)
	}
	return fmt.Sprintf("layer %d", index)
}

func (l *guardedLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.uncompressed()
	if err != nil {
		err = fmt.Errorf("%w: %s: %w", ErrHostileImage, describe(l.index, l.Layer), err)
		l.image.fail(err)
		return nil, err
	}
	pr, pw := io.Pipe()
	g := &layerGuard{layer: l, done: make(chan struct{}), tail: &tailReader{r: pr}}
	go g.check(pr)
	counted := &limitedReader{r: rc, left: l.image.limits.MaxLayerSize}
	hash := sha256.New()
	return &guardedReader{tee: io.TeeReader(counted, io.MultiWriter(pw, hash)), rc: rc, pw: pw, guard: g, counted: counted, hash: hash}, nil
}

// uncompressed opens the layer's uncompressed stream: for a layer to verify,
// its compressed bytes through a digest and decompressed here (gzip, zstd
// or none, by their magic bytes, as go-containerregistry does), so that the
// layer is still read once.
func (l *guardedLayer) uncompressed() (io.ReadCloser, error) {
	if !l.image.verifyDigests {
		return l.Layer.Uncompressed()
	}
	want, err := l.Layer.Digest()
	if err != nil {
		return nil, err
	}
	crc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	d := &digestReader{r: crc, hash: sha256.New(), want: want}
	br := bufio.NewReader(d)
	magic, _ := br.Peek(4)
	var r io.Reader = br
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		if r, err = gzip.NewReader(br); err != nil {
			crc.Close()
			return nil, err
		}
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br)
		if err != nil {
			crc.Close()
			return nil, err
		}
		r = zr.IOReadCloser()
	}
	return &verifiedLayer{Reader: r, digest: d, closer: crc}, nil
}

// digestReader hashes what is read through it.
type digestReader struct {
	r    io.Reader
	hash hash.Hash
	want v1.Hash
}

func (d *digestReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.hash.Write(p[:n])
	return n, err
}

// verifiedLayer is a decompressed layer whose compressed bytes are checked
// against their digest when it is closed (by then the guard has read it
// to its end).
type verifiedLayer struct {
	io.Reader
	digest *digestReader
	closer io.Closer
}

func (v *verifiedLayer) Close() error {
	_, _ = io.Copy(io.Discard, v.digest) // what the decompressor left
	err := v.closer.Close()
	if got := (v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(v.digest.hash.Sum(nil))}); v.digest.want.Algorithm == "sha256" && got != v.digest.want {
		return fmt.Errorf("%w: blob content digest %s does not match the manifest's %s", ErrHostileImage, got, v.digest.want)
	}
	return err
}

// layerGuard reads the tar headers of a layer in step with its consumer.
type layerGuard struct {
	layer *guardedLayer
	done  chan struct{}
	tail  *tailReader
}

func (g *layerGuard) check(pr *io.PipeReader) {
	defer close(g.done)
	err := g.entries(tar.NewReader(g.tail))
	if err == nil {
		_, _ = io.Copy(io.Discard, g.tail) // padding after the end of the archive
		if !g.tail.zeros() {
			err = errors.New("the tar stream ends without its end-of-archive marker (truncated at an entry boundary)")
		}
	}
	if err != nil {
		err = fmt.Errorf("%w: %s: %w", ErrHostileImage, describe(g.layer.index, g.layer.Layer), err)
		g.layer.image.fail(err)
		pr.CloseWithError(err) // the consumer's next read fails
	}
}

// tailReader keeps the last 1024 bytes read through it: a tar archive ends
// with two 512-byte blocks of zeros, which Go's tar reader does not
// require (a stream cut at an entry boundary reads as a clean end).
type tailReader struct {
	r    io.Reader
	tail [1024]byte
	n    int64 // bytes read in all
}

func (t *tailReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n >= len(t.tail) {
		copy(t.tail[:], p[n-len(t.tail):n])
	} else if n > 0 {
		copy(t.tail[:], t.tail[n:])
		copy(t.tail[len(t.tail)-n:], p[:n])
	}
	t.n += int64(n)
	return n, err
}

// zeros reports whether the stream ended with (at least) 1024 zero bytes.
func (t *tailReader) zeros() bool {
	if t.n < int64(len(t.tail)) {
		return false
	}
	for _, b := range t.tail {
		if b != 0 {
			return false
		}
	}
	return true
}

func (g *layerGuard) entries(tr *tar.Reader) error {
	img := g.layer.image
	limits := img.limits
	// Each entry of this layer is in the views of this layer and every
	// one above it.
	views := int64(max(1, len(img.diffIDs)-g.layer.index))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("not a valid tar stream: %w", err)
		}
		name := path.Clean("/" + h.Name)
		if escapes(h.Name) {
			return fmt.Errorf("entry %q escapes the root", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			return fmt.Errorf("entry %q is a device or fifo", h.Name)
		case tar.TypeSymlink:
			target := h.Linkname
			if !path.IsAbs(target) && escapes(path.Join(path.Dir(strings.TrimPrefix(name, "/")), target)) {
				return fmt.Errorf("symbolic link %q -> %q points outside the root", h.Name, h.Linkname)
			}
		case tar.TypeLink:
			if escapes(h.Linkname) {
				return fmt.Errorf("hard link %q -> %q points outside the root", h.Name, h.Linkname)
			}
		}
		if n := img.views.Add(views); limits.MaxFileViews > 0 && n > limits.MaxFileViews {
			return fmt.Errorf("more than %d file views: %d layers of many files (each file counts once per layer at and above its own; --max-file-views)", limits.MaxFileViews, len(img.diffIDs))
		}
		if h.Size > limits.MaxFileSize {
			return fmt.Errorf("entry %q is %d bytes, over the %d-byte limit", h.Name, h.Size, limits.MaxFileSize)
		}
		// Read the content, so that a header lying about the size is
		// caught by the tar reader.
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return fmt.Errorf("not a valid tar stream: entry %q: %w", h.Name, err)
		}
	}
}

// escapes reports a relative archive path that leaves the root ("../x",
// "a/../../x"). Absolute paths are taken relative to the root, as
// container runtimes do.
func escapes(p string) bool {
	c := path.Clean(strings.TrimLeft(p, "/"))
	return c == ".." || strings.HasPrefix(c, "../")
}

// guardedReader is the consumer's view of a layer: the decompressed stream,
// teed into the layer guard.
type guardedReader struct {
	tee     io.Reader
	rc      io.ReadCloser
	pw      *io.PipeWriter
	guard   *layerGuard
	counted *limitedReader
	hash    hash.Hash
	closed  bool
}

func (r *guardedReader) Read(p []byte) (int, error) {
	n, err := r.tee.Read(p)
	if errors.Is(err, errLayerTooLarge) {
		err = fmt.Errorf("%w: %s: more than %d bytes uncompressed (a decompression bomb?)", ErrHostileImage, describe(r.guard.layer.index, r.guard.layer.Layer), r.guard.layer.image.limits.MaxLayerSize)
		r.guard.layer.image.fail(err)
	}
	if errors.Is(err, io.EOF) {
		r.pw.Close()
		<-r.guard.done // the guard has seen everything
		if gerr := r.guard.layer.image.Err(); gerr != nil {
			return n, gerr
		}
	}
	return n, err
}

// Close reads what the consumer left (the tar padding after the end of
// the archive), so that the guard and the digest see the whole layer, then
// checks the digest against the image configuration.
func (r *guardedReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	l := r.guard.layer
	if l.image.Err() == nil {
		if _, err := io.Copy(io.Discard, r.tee); err != nil && l.image.Err() == nil {
			l.image.fail(fmt.Errorf("%w: %s: %w", ErrHostileImage, describe(l.index, l.Layer), err))
		}
	}
	r.pw.Close()
	<-r.guard.done
	if err := r.rc.Close(); err != nil && l.image.Err() == nil {
		l.image.fail(fmt.Errorf("%w: %s: %w", ErrHostileImage, describe(l.index, l.Layer), err))
	}
	if l.image.Err() == nil && l.index < len(l.image.diffIDs) {
		got := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(r.hash.Sum(nil))}
		if want := l.image.diffIDs[l.index]; want.Algorithm == "sha256" && got != want {
			l.image.fail(fmt.Errorf("%w: layer %d: content digest %s does not match the configuration's diff id %s", ErrHostileImage, l.index, got, want))
		}
	}
	return l.image.Err()
}

var errLayerTooLarge = errors.New("layer too large")

type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more than allowed tells "exactly at the limit" apart.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			return 0, errLayerTooLarge
		}
		return l.r.Read(p)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
