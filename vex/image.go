package vex

import (
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/package-url/packageurl-go"
)

// localImage are the prefixes of findings.Image.Ref for an image read from
// this machine (the container scanner's docker-archive:, oci: and dir:
// forms); a bare FILE.tar is a docker archive too.
var localImage = []string{"docker-archive:", "oci:", "dir:"}

// ImageProduct is the VEX product identifier of the image ref (as
// findings.Image.Ref names it): for a registry reference its OCI package
// URL, pkg:oci/NAME[@DIGEST]?repository_url=REGISTRY/REPOSITORY[&tag=TAG]
// (Docker Hub's registry as docker.io); for an image read from a file or
// directory the reference itself, an IRI of the scheme docker-archive:,
// oci: or dir: with its path percent-encoded (a bare FILE.tar as
// docker-archive:FILE.tar).
func ImageProduct(ref string) string {
	if p, ok := imagePURL(ref); ok {
		return p.ToString()
	}
	for _, prefix := range localImage {
		if rest, ok := strings.CutPrefix(ref, prefix); ok {
			return prefix + escapePath(rest)
		}
	}
	return "docker-archive:" + escapePath(ref)
}

// imagePURL is the OCI package URL of a registry reference; false for an
// image read from this machine, or a reference that does not parse.
func imagePURL(ref string) (*packageurl.PackageURL, bool) {
	for _, prefix := range localImage {
		if strings.HasPrefix(ref, prefix) {
			return nil, false
		}
	}
	if strings.HasSuffix(ref, ".tar") {
		return nil, false
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, false
	}
	repo := r.Context()
	registry := repo.RegistryStr()
	if registry == name.DefaultRegistry {
		registry = "docker.io" // as the purl-spec's oci examples name it
	}
	path := repo.RepositoryStr()
	q := map[string]string{"repository_url": registry + "/" + path}
	version := ""
	switch r := r.(type) {
	case name.Tag:
		q["tag"] = r.TagStr()
	case name.Digest:
		version = r.DigestStr()
	}
	base := path[strings.LastIndex(path, "/")+1:]
	return packageurl.NewPackageURL(packageurl.TypeOCI, "", strings.ToLower(base), version, packageurl.QualifiersFromMap(q), ""), true
}

// escapePath percent-encodes each segment of a slash-separated path, so
// that the identifier is an IRI whatever the file is called.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// namesImage reports whether a product identifier id names the image ref:
// the reference as written, its ImageProduct, or an OCI package URL of the
// same name whose version (a digest) and repository_url and tag
// qualifiers, those it gives, are the reference's. Other qualifiers
// (arch, os) are not compared: the scan does not record them.
func namesImage(id, ref string) bool {
	if id == ref || id == ImageProduct(ref) {
		return true
	}
	if !isPURL(id) {
		return false
	}
	s, err := parsePURL(id)
	if err != nil || s.typ != packageurl.TypeOCI {
		return false
	}
	ours, ok := imagePURL(ref)
	if !ok || !strings.EqualFold(s.name, ours.Name) {
		return false
	}
	if s.version != "" && s.version != ours.Version {
		return false
	}
	q := ours.Qualifiers.Map()
	for _, k := range []string{"repository_url", "tag"} {
		v, given := s.qualifiers[k]
		if k == "repository_url" {
			v = strings.TrimPrefix(v, "index.")
		}
		if given && v != q[k] {
			return false
		}
	}
	return true
}

// isImage reports whether a product identifier names an image: an OCI
// package URL, or a local image reference.
func isImage(id string) bool {
	for _, prefix := range localImage {
		if strings.HasPrefix(id, prefix) {
			return true
		}
	}
	if !isPURL(id) {
		return false
	}
	p, err := parsePURL(id)
	return err == nil && p.typ == packageurl.TypeOCI
}
