package osv

import (
	"errors"
	"regexp"
	"strings"
	"unicode"

	"github.com/google/osv-scalibr/semantic"
	"github.com/ossf/osv-schema/bindings/go/osvschema"
	"golang.org/x/mod/semver"
)

// checkEventVersion reports a range event's version that the range's
// scheme cannot read. osv-scalibr compares versions with parse errors
// ignored, and its PyPI and SemVer parsers accept any string (as a "legacy"
// or a loosely read version): a garbled fixed version would silently make
// the range match nothing, or everything. So the grammar is checked here:
// SEMVER ranges must hold SemVer 2.0, as the OSV schema says; ECOSYSTEM
// ranges the ecosystem's own grammar where it has a strict one (PEP 440 for
// PyPI, SemVer for npm, crates.io and Hex, RubyGems' Gem::Version), else what
// osv-scalibr's parser accepts.
func checkEventVersion(typ osvschema.Range_Type, eco, version string) error {
	if len(version) > 256 || strings.IndexFunc(version, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return errors.New("not a version (white space, control characters or too long)")
	}
	switch typ {
	case osvschema.Range_SEMVER:
		return semVer(version)
	case osvschema.Range_ECOSYSTEM:
		switch eco {
		case "PyPI":
			if !pep440.MatchString(version) {
				return errors.New("not a PEP 440 version")
			}
			return nil
		case "npm", "crates.io", "Hex":
			return semVer(version)
		case "RubyGems":
			if !gemVersion.MatchString(version) {
				return errors.New("not a RubyGems version")
			}
			return nil
		}
		if _, err := semantic.Parse(version, eco); err != nil && !errors.Is(err, semantic.ErrUnsupportedEcosystem) {
			return err
		}
	}
	return nil
}

func semVer(v string) error {
	if !semver.IsValid("v" + strings.TrimPrefix(v, "v")) {
		return errors.New("not a SemVer 2.0 version")
	}
	return nil
}

// pep440 is PEP 440's version grammar (its appendix's VERSION_PATTERN, as
// the packaging library reads it), case-insensitive.
var pep440 = regexp.MustCompile(`(?i)^v?(?:(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?)(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$`)

// gemVersion is Gem::Version::ANCHORED_VERSION_PATTERN.
var gemVersion = regexp.MustCompile(`^[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)
