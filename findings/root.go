package findings

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Root is the directory every path in a report is relative to: a scanned
// target's name, a finding's file as SARIF, annotations, JUnit and GitLab
// print it, a Dockerfile, a policy or configuration file. Paths are made
// relative to it in one place, Rel, so that a report says the same whatever
// the working directory or how deep the checkout lies.
//
// The root of a scan of PATH is, in this order:
//
//  1. the top of the git work tree that holds PATH (the directory with
//     .git): CI systems resolve report paths against the checkout, and
//     the same tree gives the same report from any directory inside or
//     outside it;
//  2. else the working directory, when PATH lies inside it;
//  3. else PATH itself (a file's directory, for a file).
//
// Without a PATH (only images are scanned) it is the working directory.
type Root struct {
	dir string // absolute and clean
}

// NewRoot returns the root of a scan of target, an OS path ("" when only
// images are scanned).
func NewRoot(target string) (Root, error) {
	wd, err := os.Getwd()
	if err != nil {
		return Root{}, fmt.Errorf("find the report root: %w", err)
	}
	if target == "" {
		return Root{dir: wd}, nil
	}
	abs, err := filepath.Abs(target)
	if err != nil {
		return Root{}, fmt.Errorf("find the report root of %s: %w", target, err)
	}
	dir := abs
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		dir = filepath.Dir(abs)
	}
	if top, ok := workTree(dir); ok {
		return Root{dir: top}, nil
	}
	if within(wd, dir) {
		return Root{dir: wd}, nil
	}
	return Root{dir: dir}, nil
}

// RootAt returns a root at dir, for callers that know it (tests, tools
// re-rendering a report).
func RootAt(dir string) (Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Root{}, fmt.Errorf("find the report root %s: %w", dir, err)
	}
	return Root{dir: abs}, nil
}

// Rel returns path, an OS path, slash-separated and relative to the root
// ("." for the root itself), and true; for a path outside the root, its base
// name and false, so that no report holds a path of this machine.
func (r Root) Rel(path string) (string, bool) {
	abs, err := filepath.Abs(path)
	if err != nil || r.dir == "" {
		return filepath.Base(path), false
	}
	if !within(r.dir, abs) {
		return filepath.Base(abs), false
	}
	rel, _ := filepath.Rel(r.dir, abs)
	return filepath.ToSlash(rel), true
}

// Dir is the root's absolute path.
func (r Root) Dir() string { return r.dir }

// workTree returns the top of the git work tree holding dir: the nearest
// directory, dir or above, with a .git entry (a directory, or the file of a
// linked work tree or submodule).
func workTree(dir string) (string, bool) {
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d, true
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d = parent
	}
}

// within reports whether path is dir or lies below it.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
