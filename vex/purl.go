package vex

import (
	"fmt"
	"strings"

	"github.com/package-url/packageurl-go"
)

// purl is a package URL in the form statements and findings are compared
// in: packageurl-go's normalization (type lower-cased, the namespace and
// name of the types whose names are case-insensitive lower-cased, PyPI's _
// as -) and secgate's own, where ecosystems spell one version two ways: a
// Go version without its leading v (OSV writes 0.3.5, Go tools v0.3.5) and
// a PyPI name with its runs of -, _ and . as one - (PEP 503).
type purl struct {
	typ, namespace, name, version string
	qualifiers                    map[string]string
}

// parsePURL parses and normalizes s, a package URL.
func parsePURL(s string) (*purl, error) {
	p, err := packageurl.FromString(s)
	if err != nil {
		return nil, fmt.Errorf("parse package URL %q: %w", s, err)
	}
	out := &purl{typ: p.Type, namespace: p.Namespace, name: p.Name, version: p.Version, qualifiers: p.Qualifiers.Map()}
	switch out.typ {
	case packageurl.TypeGolang:
		out.version = strings.TrimPrefix(out.version, "v")
	case packageurl.TypePyPi:
		out.name = pep503(out.name)
	}
	return out, nil
}

// pep503 is a PyPI name normalized as PEP 503 says: lower case, each run
// of -, _ and . one -.
func pep503(name string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('-')
		}
		sep = false
		b.WriteRune(r)
	}
	return b.String()
}

// isPURL reports whether s is written as a package URL.
func isPURL(s string) bool {
	return len(s) > 4 && strings.EqualFold(s[:4], "pkg:")
}

// covers reports whether the statement's package URL s names the
// finding's package p: the same type, namespace and name; the same
// version, or none (a statement about every version); and no qualifier
// that both give with different values (a statement about the arm64 build
// is not about the amd64 one). A qualifier only one of them gives is not
// compared: tools add their own (cyclonedx-gomod's type=module, a
// scanner's distro), which say nothing about which package it is.
// Subpaths are not compared: a finding is about a package.
func (s *purl) covers(p *purl) bool {
	if s.typ != p.typ || s.namespace != p.namespace || s.name != p.name {
		return false
	}
	if s.version != "" && s.version != p.version {
		return false
	}
	for k, v := range s.qualifiers {
		if pv, ok := p.qualifiers[k]; ok && pv != v {
			return false
		}
	}
	return true
}
