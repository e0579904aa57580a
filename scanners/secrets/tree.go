package secrets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/secgate/secgate/scanners"
)

// treeSource yields the regular files under root.
//
// It reads files that .gitignore excludes: a secret in an ignored file that
// is present still leaks, into a container image or an artifact. Files of
// any size are read, in pieces. It skips the content of, and counts:
// binary files (an archive's or executable's signature, see binaryType),
// files over maxSize when it is set; and it skips the .git directory,
// symbolic links (never followed; those pointing outside root are counted
// apart) and special files. Path rules (pkcs12-file) see every regular
// file, skipped or not. A file it cannot read is an error: the gate cannot
// decide on it.
type treeSource struct {
	root     string
	maxSize  int64
	exclude  scanners.Exclude
	progress scanners.Progress
	counter
}

// counter counts what a source read and skipped, safely from the workers.
type counter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *counter) count(key string) {
	c.mu.Lock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[key]++
	c.mu.Unlock()
}

func (c *counter) stats() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{"files": 0, "skipped_binary": 0, "skipped_too_large": 0, "skipped_link_outside_root": 0}
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

// content streams r to p, counting the file as scanned or, when its first
// bytes are a binary format's, as skipped_binary.
func (c *counter) content(p *pieces, r io.Reader) error {
	binary, err := p.scan(r)
	if err != nil {
		return err
	}
	if binary {
		c.count("skipped_binary")
	} else {
		c.count("files")
	}
	return nil
}

// tooLarge is the read of a file over the size limit: nothing is read, the
// file is counted (its path rules still run).
func (c *counter) tooLarge(*pieces) error {
	c.count("skipped_too_large")
	return nil
}

func (t *treeSource) blobs(ctx context.Context, yield func(Blob) error) error {
	root, err := filepath.Abs(t.root)
	if err != nil {
		return wrapSource("resolve %s: %w", t.root, err)
	}
	info, err := os.Lstat(root)
	if err != nil {
		return wrapSource("%w", err)
	}
	if !info.IsDir() {
		// A single file: its path is reported relative to its directory.
		return t.file(ctx, filepath.Dir(root), root, info, yield)
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			rel, _ := filepath.Rel(root, p)
			return wrapSource("%s: %w", filepath.ToSlash(rel), pathCause(err))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p == root {
				return nil
			}
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			if rel, err := filepath.Rel(root, p); err == nil && t.exclude.Match(filepath.ToSlash(rel)) {
				t.count("excluded_dirs")
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			rel, _ := filepath.Rel(root, p)
			return wrapSource("%s: %w", filepath.ToSlash(rel), err)
		}
		return t.file(ctx, root, p, info, yield)
	})
}

func (t *treeSource) file(_ context.Context, root, p string, info fs.FileInfo, yield func(Blob) error) error {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return wrapSource("%w", err)
	}
	rel = filepath.ToSlash(rel)
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		if target, err := filepath.EvalSymlinks(p); err != nil || !within(root, target) {
			t.count("skipped_link_outside_root")
		} else {
			t.count("skipped_link")
		}
		return nil
	case !info.Mode().IsRegular():
		t.count("skipped_special")
		return nil
	case t.maxSize > 0 && info.Size() > t.maxSize:
		return yield(Blob{Path: rel, StartLine: 1, read: t.tooLarge})
	}
	return yield(Blob{Path: rel, StartLine: 1, read: func(pc *pieces) error { return t.read(pc, p, rel) }})
}

// read streams a file to pc.
func (t *treeSource) read(pc *pieces, p, rel string) error {
	f, err := os.Open(p)
	if err != nil {
		return wrapSource("%s: %w", rel, pathCause(err))
	}
	defer f.Close()
	t.progress.Report(fmt.Sprintf("secrets: %s", rel))
	if err := t.content(pc, f); err != nil {
		return wrapSource("%s: %w", rel, err)
	}
	return nil
}

// within reports whether path is root or below it.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// pathCause is the cause of a path error (a permission error, a missing
// file), whose own message would repeat the absolute path the error names
// relatively; other errors as they are.
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
