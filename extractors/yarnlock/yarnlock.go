// Package yarnlock extracts npm packages from yarn.lock files (yarn classic's
// v1 format and yarn berry's), with the line of each package's entry.
//
// It replaces osv-scalibr's javascript/yarnlock extractor, which is linear
// but slow: it runs five backtracking regular expressions over every
// entry's resolution to find a git commit, and two more over every property
// line, about 16 µs an entry (16 s of a 1,000,000-entry lockfile's 43 s).
// Here each of those expressions only runs on a line or resolution that
// holds the literal text it needs to match (a "#commit", a "://", ".git#",
// ...), which registry entries never do; the expressions themselves are
// osv-scalibr's, so a line that gets to them gives the same answer. The
// packages it returns are the ones the osv-scalibr extractor returns: the
// same names, versions, commits and lines, in the same order. Unlike it, an
// entry without a version is an error of Extract (osv-scalibr logs it, and
// the directory scan made any such log an error already), unless
// AllowNoVersion is set.
package yarnlock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/purl"

	"github.com/secgate/secgate/extractors/internal/gitcommit"
)

// Name is the plugin name of this extractor.
const Name = "secgate/yarnlock"

// Extractor is an osv-scalibr filesystem extractor for yarn.lock files.
type Extractor struct {
	// AllowNoVersion returns an entry without a version as a package with
	// an empty version, as osv-scalibr does, rather than failing the file.
	AllowNoVersion bool
}

var _ filesystem.Extractor = Extractor{}

// Name of the extractor.
func (Extractor) Name() string { return Name }

// Version of the extractor.
func (Extractor) Version() int { return 0 }

// Requirements of the extractor: none.
func (Extractor) Requirements() *plugin.Capabilities { return &plugin.Capabilities{} }

// FileRequired selects yarn.lock files that are not inside node_modules, as
// osv-scalibr's extractor does.
func (Extractor) FileRequired(api filesystem.FileAPI) bool {
	path := api.Path()
	if filepath.Base(path) != "yarn.lock" {
		return false
	}
	dir := filepath.ToSlash(filepath.Dir(path))
	return !slices.Contains(strings.Split(dir, "/"), "node_modules")
}

// osv-scalibr's expressions (yarnlock).
var (
	versionRe    = regexp.MustCompile(`^ {2}"?version"?:? "?([\w-.+]+)"?$`)
	resolutionRe = regexp.MustCompile(`^ {2}"?(?:resolution:|resolved)"? "([^ '"]+)"$`)
)

// ErrNoVersion is wrapped by the error of an entry without a version.
var ErrNoVersion = errors.New("failed to determine version")

// Extract reads one yarn.lock.
func (e Extractor) Extract(ctx context.Context, input *filesystem.ScanInput) (inventory.Inventory, error) {
	pkgs := []*extractor.Package{}
	var noVersion []string
	err := entries(ctx, bufio.NewScanner(input.Reader), func(header string, props []string, line int) {
		if header == "__metadata:" || strings.HasSuffix(header, "@workspace:.\":") {
			return
		}
		p := &extractor.Package{
			Name:       packageName(header),
			Version:    version(props),
			PURLType:   purl.TypeNPM,
			SourceCode: &extractor.SourceCodeIdentifier{Commit: gitcommit.Of(resolution(props))},
			Location:   extractor.LocationFromPathAndLine(input.Path, line),
		}
		if p.Version == "" {
			noVersion = append(noVersion, fmt.Sprintf("%s (line %d)", p.Name, line))
		}
		pkgs = append(pkgs, p)
	})
	if err != nil {
		return inventory.Inventory{}, fmt.Errorf("error while scanning: %w", err)
	}
	if len(noVersion) > 0 && !e.AllowNoVersion {
		return inventory.Inventory{}, fmt.Errorf("%w of %s", ErrNoVersion, strings.Join(noVersion, ", "))
	}
	return inventory.Inventory{Packages: pkgs}, nil
}

// entries calls fn with each entry of the file: its header line, its
// property lines and the header's line number. Like osv-scalibr's, it stops
// without an error at a line longer than bufio's limit (64 KiB).
func entries(ctx context.Context, sc *bufio.Scanner, fn func(header string, props []string, line int)) error {
	var header string
	var props []string
	start, n := 0, 0
	for sc.Scan() {
		n++
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line := sc.Text()
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if !strings.HasPrefix(line, " ") {
			if start > 0 {
				fn(header, props, start)
			}
			header, props, start = line, nil, n
			continue
		}
		if start == 0 {
			return errors.New("malformed yarn.lock")
		}
		props = append(props, line)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if start > 0 {
		fn(header, props, start)
	}
	return nil
}

// version returns the capture of osv-scalibr's versionRe in the first
// property it matches.
func version(props []string) string {
	for _, s := range props {
		if v, ok := fastValue(s, versionKeys, isVersionByte, true); ok {
			return v
		}
		if !hasKey(s, "version") {
			continue
		}
		if m := versionRe.FindStringSubmatch(s); m != nil {
			return m[1]
		}
	}
	return ""
}

// resolution returns the capture of osv-scalibr's resolutionRe in the first
// property it matches.
func resolution(props []string) string {
	for _, s := range props {
		if v, ok := fastValue(s, resolutionKeys, isResolutionByte, false); ok {
			return v
		}
		if !hasKey(s, "resolution:") && !hasKey(s, "resolved") {
			continue
		}
		if m := resolutionRe.FindStringSubmatch(s); m != nil {
			return m[1]
		}
	}
	return ""
}

// The common spellings of the two properties, v1's then berry's.
var (
	versionKeys    = []string{`  version `, `  version: `}
	resolutionKeys = []string{`  resolved `, `  resolution: `}
)

// fastValue reads the common shapes of a property, key then "VALUE" (or,
// with bare, VALUE unquoted), with every byte of VALUE accepted by ok: on
// those, the expression's capture is VALUE. Anything else is left to the
// expression.
func fastValue(s string, keys []string, ok func(byte) bool, bare bool) (string, bool) {
	for _, k := range keys {
		v, found := strings.CutPrefix(s, k)
		if !found {
			continue
		}
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		} else if !bare {
			return "", false
		}
		if v == "" {
			return "", false
		}
		for i := range len(v) {
			if !ok(v[i]) {
				return "", false
			}
		}
		return v, true
	}
	return "", false
}

// isVersionByte is versionRe's [\w-.+].
func isVersionByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '+'
}

// isResolutionByte is resolutionRe's [^ '"] (a byte of invalid UTF-8 reads
// as U+FFFD, which it accepts too).
func isResolutionByte(c byte) bool { return c != ' ' && c != '\'' && c != '"' }

// hasKey reports whether s starts as the expressions require before key:
// two spaces and an optional quote.
func hasKey(s, key string) bool {
	rest, ok := strings.CutPrefix(s, "  ")
	return ok && strings.HasPrefix(strings.TrimPrefix(rest, `"`), key)
}

// packageName is osv-scalibr's extractYarnPackageName.
func packageName(header string) string {
	str := strings.TrimPrefix(header, "\"")
	str = strings.TrimSuffix(str, ":")
	str, _, _ = strings.Cut(str, ",")
	isScoped := strings.HasPrefix(str, "@")
	if isScoped {
		str = strings.TrimPrefix(str, "@")
	}
	name, right, _ := strings.Cut(str, "@")
	if strings.HasPrefix(right, "npm:") && strings.Contains(right, "@") {
		return packageName(strings.TrimPrefix(right, "npm:"))
	}
	if isScoped {
		name = "@" + name
	}
	return name
}
