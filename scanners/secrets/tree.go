package secrets

import (
	"bytes"
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
// is present still leaks, into a container image or an artifact. It skips,
// and counts: the .git directory, binary files (a NUL byte in the first
// 8 KiB, as git decides), files over maxSize, symbolic links (never
// followed; those pointing outside root are counted apart) and special
// files. A file it cannot read is an error: the gate cannot decide on it.
type treeSource struct {
	root     string
	maxSize  int64
	exclude  scanners.Exclude
	progress scanners.Progress
	counter
}

const binarySniffLen = 8 << 10

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

// load reads at most maxSize+1 bytes of r (a file that grows while read is
// still bounded) and returns nil content, counted, for a file to skip: too
// large or binary (a NUL byte in its first 8 KiB).
func (c *counter) load(r io.Reader, maxSize int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxSize {
		c.count("skipped_too_large")
		return nil, nil
	}
	if bytes.IndexByte(data[:min(len(data), binarySniffLen)], 0) >= 0 {
		c.count("skipped_binary")
		return nil, nil
	}
	c.count("files")
	if data == nil {
		data = []byte{} // an empty file is scanned (path rules), not skipped
	}
	return data, nil
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
	case info.Size() > t.maxSize:
		t.count("skipped_too_large")
		return nil
	}
	return yield(Blob{Path: rel, StartLine: 1, read: func() ([]byte, error) { return t.read(p, rel) }})
}

// read loads a file, or returns nil content for one to skip.
func (t *treeSource) read(p, rel string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, wrapSource("%s: %w", rel, pathCause(err))
	}
	defer f.Close()
	data, err := t.load(f, t.maxSize)
	if err != nil {
		return nil, wrapSource("%s: %w", rel, err)
	}
	if data != nil {
		t.progress.Report(fmt.Sprintf("secrets: %s", rel))
	}
	return data, nil
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
