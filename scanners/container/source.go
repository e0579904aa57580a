package container

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/secgate/secgate/findings"
)

// Reference prefixes of the image sources that are not registries.
const (
	DockerArchive = "docker-archive:"
	OCILayout     = "oci:"
	RootFS        = "dir:"
)

// OpenOptions configure how images are fetched.
type OpenOptions struct {
	// Keychain resolves registry credentials; authn.DefaultKeychain (the
	// Docker config) when nil.
	Keychain authn.Keychain
	// Transport for registry requests; remote's default when nil.
	Transport http.RoundTripper
	// Platform picks the image of a multi-platform index (linux/amd64 when
	// nil).
	Platform *v1.Platform
	// Timeout bounds every wait on the registry: to connect, for response
	// headers, between two reads of a body (DefaultRegistryTimeout when
	// zero).
	Timeout time.Duration
}

// Open turns an image reference into a v1.Image, whatever its source:
//
//	docker-archive:FILE, or a path ending in .tar  a `docker save` archive
//	oci:DIR                                         an OCI image layout
//	dir:PATH                                        a root filesystem (one layer)
//	anything else                                   a registry reference
//
// Every source then goes through the same code: the scanner sees a
// v1.Image, never where it came from. Layers are read as streams.
func Open(ctx context.Context, ref string, opts OpenOptions) (v1.Image, error) {
	switch {
	case strings.HasPrefix(ref, DockerArchive):
		return fromArchive(strings.TrimPrefix(ref, DockerArchive))
	case strings.HasSuffix(ref, ".tar") && fileExists(ref):
		return fromArchive(ref)
	case strings.HasPrefix(ref, OCILayout):
		return fromLayout(strings.TrimPrefix(ref, OCILayout), platformOf(opts))
	case strings.HasPrefix(ref, RootFS):
		return fromRootFS(strings.TrimPrefix(ref, RootFS))
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("parse image reference: %w", err)
	}
	kc := opts.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc), remote.WithPlatform(*platformOf(opts)),
		remote.WithTransport(registryTransport(opts.Transport, opts.Timeout))}
	img, err := remote.Image(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	return img, nil
}

// TargetName is how findings and reports name the image ref: a registry
// reference as given; for docker-archive:, oci: and dir: (and a FILE.tar)
// the prefix and the local path relative to the report root, so that no
// report holds a path of this machine.
func TargetName(ref string, root findings.Root) string {
	for _, prefix := range []string{DockerArchive, OCILayout, RootFS} {
		if p, ok := strings.CutPrefix(ref, prefix); ok {
			name, _ := root.Rel(p)
			return prefix + name
		}
	}
	if strings.HasSuffix(ref, ".tar") && fileExists(ref) {
		name, _ := root.Rel(ref)
		return name
	}
	return ref
}

func platformOf(opts OpenOptions) *v1.Platform {
	if opts.Platform != nil {
		return opts.Platform
	}
	return &v1.Platform{OS: "linux", Architecture: "amd64"}
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// fromLayout picks the image of an OCI layout: its only image, or the one
// for the platform; nested indexes are followed.
func fromLayout(dir string, platform *v1.Platform) (v1.Image, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("read OCI layout: %w", err)
	}
	img, err := pick(idx, platform, 0)
	if err != nil {
		return nil, err
	}
	return layoutImage{img}, nil
}

func pick(idx v1.ImageIndex, platform *v1.Platform, depth int) (v1.Image, error) {
	if depth > 4 {
		return nil, errors.New("read OCI layout: indexes nested too deep")
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("read OCI index: %w", err)
	}
	var candidates []v1.Descriptor
	for _, d := range m.Manifests {
		if d.Platform == nil || len(m.Manifests) == 1 || d.Platform.Satisfies(*platform) {
			candidates = append(candidates, d)
		}
	}
	if len(candidates) == 0 {
		return nil, fmt.Errorf("read OCI layout: no image for %s among %d", platform, len(m.Manifests))
	}
	if len(candidates) > 1 {
		return nil, fmt.Errorf("read OCI layout: %d images match %s; keep one in the layout", len(candidates), platform)
	}
	d := candidates[0]
	switch d.MediaType {
	case types.OCIImageIndex, types.DockerManifestList:
		child, err := idx.ImageIndex(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("read OCI index %s: %w", d.Digest, err)
		}
		return pick(child, platform, depth+1)
	}
	img, err := idx.Image(d.Digest)
	if err != nil {
		return nil, fmt.Errorf("read OCI image %s: %w", d.Digest, err)
	}
	return img, nil
}

// fromRootFS makes a one-layer image of a directory. The layer is a tar
// stream of the tree made on demand (never written to disk); symbolic
// links are stored as links, never followed; special files are left out.
func fromRootFS(dir string) (v1.Image, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(tarTree(dir, pw)) }()
		return pr, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read root filesystem: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	// The configuration lists no diff id: computing it would read the
	// whole tree once more. The layer is secgate's own tar stream of the
	// directory, so there is no manifest to disagree with it.
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		OS: "linux", Architecture: "amd64",
		RootFS:  v1.RootFS{Type: "layers"},
		History: []v1.History{{CreatedBy: "root filesystem " + filepath.Base(dir)}},
	})
	if err != nil {
		return nil, err
	}
	return rootFSImage{img}, nil
}

// rootFSImage is an image made of a root filesystem directory.
type rootFSImage struct{ v1.Image }

// layoutImage is an image of an OCI layout, whose blobs are files named by
// the digests the manifest gives: go-containerregistry reads them without
// checking, so the guard checks each blob against its digest.
type layoutImage struct{ v1.Image }

func tarTree(dir string, w io.Writer) error {
	tw := tar.NewWriter(w)
	root := os.DirFS(dir)
	err := fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			if link, err = os.Readlink(filepath.Join(dir, p)); err != nil {
				return err
			}
		case !info.IsDir() && !info.Mode().IsRegular():
			return nil
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = p
		if info.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := root.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}
