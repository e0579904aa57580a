// Package osv owns secgate's use of OSV advisories: matching packages against
// them, offline from a local copy of the OSV export (DIR/<Ecosystem>/all.zip)
// or online through the OSV API, and turning the matches into findings
// (grouping aliases, choosing severity, listing fixes).
//
// Extraction (which packages a lockfile or an image holds) is not its
// concern: it receives osv-scalibr packages from the scanners.
package osv

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	archivemeta "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive/metadata"
	apkmeta "github.com/google/osv-scalibr/extractor/filesystem/os/apk/metadata"
	dpkgmeta "github.com/google/osv-scalibr/extractor/filesystem/os/dpkg/metadata"
	"github.com/ossf/osv-schema/bindings/go/osvschema"
)

// Matcher finds the advisories that affect packages.
type Matcher interface {
	// Match returns, for each package, the advisories affecting it:
	// result[i] belongs to pkgs[i]. Packages that cannot be matched (no
	// ecosystem or no version) get no advisories; callers skip them before.
	Match(ctx context.Context, pkgs []*extractor.Package) ([][]*osvschema.Vulnerability, error)
}

// Warner is a Matcher with something to say about the advisories it would
// match packages with, such as an offline database older than allowed.
type Warner interface {
	// Warnings are about the advisories that Match would use for pkgs.
	Warnings(pkgs []*extractor.Package) []string
}

// Warnings returns what m says about the advisories it would match pkgs
// with, when it is a Warner; nil otherwise. Scanners add them to their
// scan's warnings.
func Warnings(m Matcher, pkgs []*extractor.Package) []string {
	if w, ok := m.(Warner); ok && len(pkgs) > 0 {
		return w.Warnings(pkgs)
	}
	return nil
}

// ErrMissingDB is returned when the offline database lacks the file for an
// ecosystem that the scan needs. Matching without it would silently report
// nothing for those packages.
var ErrMissingDB = errors.New("offline OSV database missing")

// ErrDB is returned when the advisory data cannot be read: a corrupt zip, an
// entry that is not an OSV record, an API failure.
var ErrDB = errors.New("read OSV advisories")

// Ecosystem returns the OSV ecosystem of a package without its release
// suffix ("Debian" for "Debian:12"), which is the directory of its database
// in the OSV export; "" when the package has none.
func Ecosystem(p *extractor.Package) string {
	return string(p.Ecosystem().Ecosystem)
}

// Matchable reports whether a package can be matched against advisories by
// version: it has an ecosystem, a name and a version.
func Matchable(p *extractor.Package) bool {
	return Ecosystem(p) != "" && p.Name != "" && p.Version != ""
}

var pythonNormalization = regexp.MustCompile(`[-_.]+`)

// normalizeSeparators is pythonNormalization.ReplaceAllLiteralString(s,
// "-") (each run of "-", "_" and "." made one "-") without the regular
// expression, which took a tenth of the gate's time on big lockfiles; the
// bytes of the class are ASCII, so a byte loop is the same.
func normalizeSeparators(s string) string {
	if !strings.ContainsAny(s, "_.") && !strings.Contains(s, "--") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '-' || c == '_' || c == '.' {
			if i > 0 && isSeparator(s[i-1]) {
				continue
			}
			b = append(b, '-')
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isSeparator(c byte) bool { return c == '-' || c == '_' || c == '.' }

// osvName is the name OSV advisories use for the package: the source package
// of a Debian or Alpine binary package, group:artifact for a Java archive,
// the normalized name on PyPI, "stdlib" for the Go toolchain.
func osvName(p *extractor.Package) string {
	eco := Ecosystem(p)
	switch m := p.Metadata.(type) {
	case *dpkgmeta.Metadata:
		if m.SourceName != "" {
			return m.SourceName
		}
	case *apkmeta.Metadata:
		if m.OriginName != "" {
			return m.OriginName
		}
	case *archivemeta.Metadata:
		if m.GroupID != "" && m.ArtifactID != "" {
			return m.GroupID + ":" + m.ArtifactID
		}
	}
	switch eco {
	case "PyPI":
		return strings.ToLower(normalizeSeparators(p.Name))
	case "Go":
		if p.Name == "go" {
			return "stdlib"
		}
		if u := p.PURL(); u != nil && u.Subpath != "" {
			if m := goMajorSuffix.FindStringSubmatch(u.Subpath); m != nil {
				return p.Name + "/" + m[1]
			}
		}
	}
	return p.Name
}

var goMajorSuffix = regexp.MustCompile(`(v[0-9]+)`)

// indexKey is how advisories are indexed by package: ecosystem and a
// case-folded, normalized name. It may put more advisories in a bucket than
// apply; the exact check is osv-scalibr's (osvlocal.VulnerabilitiesAffectingPackage).
func indexKey(ecosystem, name string) string {
	return ecosystem + "\x00" + strings.ToLower(normalizeSeparators(name))
}

// lookupKeys are the index keys under which advisories for p may be filed.
func lookupKeys(p *extractor.Package) []string {
	eco := Ecosystem(p)
	keys := []string{indexKey(eco, p.Name), indexKey(eco, osvName(p))}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// baseEcosystem strips a release suffix: "Debian:12" -> "Debian".
func baseEcosystem(eco string) string {
	base, _, _ := strings.Cut(eco, ":")
	return base
}

// zipPath is where the export of one ecosystem lives in an offline DB.
func zipPath(dir, ecosystem string) string {
	return filepath.Join(dir, ecosystem, "all.zip")
}
