package scanners

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Exclude is a set of directories, slash paths relative to the scanned directory,
// that a scan leaves out with everything under them ("testdata",
// "vendor/legacy"). It is a plain prefix match: no globs, so that what is
// excluded is exactly what the configuration names.
type Exclude []string

// ParseExclude checks and cleans the directories of --exclude: relative,
// inside the root, not the root itself.
func ParseExclude(dirs []string) (Exclude, error) {
	var out Exclude
	for _, d := range dirs {
		clean := path.Clean(filepath.ToSlash(strings.TrimSpace(d)))
		switch {
		case d == "" || clean == ".":
			return nil, fmt.Errorf("exclude %q: name a directory under the scanned directory", d)
		case path.IsAbs(clean) || filepath.IsAbs(d) || filepath.VolumeName(d) != "":
			return nil, fmt.Errorf("exclude %q: give a path relative to the scanned directory", d)
		case clean == ".." || strings.HasPrefix(clean, "../"):
			return nil, fmt.Errorf("exclude %q: outside the scanned directory", d)
		}
		out = append(out, clean)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Match reports whether rel, a slash path relative to the scanned directory, is
// an excluded directory or lies under one.
func (e Exclude) Match(rel string) bool {
	for _, d := range e {
		if rel == d || (len(rel) > len(d) && rel[len(d)] == '/' && strings.HasPrefix(rel, d)) {
			return true
		}
	}
	return false
}

// Abs returns the excluded directories as absolute OS paths under root.
func (e Exclude) Abs(root string) []string {
	out := make([]string, len(e))
	for i, d := range e {
		out[i] = filepath.Join(root, filepath.FromSlash(d))
	}
	return out
}
