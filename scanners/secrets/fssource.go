package secrets

import (
	"context"
	"io/fs"
	"path"
	"strings"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/secretid"
)

// fsSource yields the regular files of an fs.FS: a container image layer.
// Symbolic links are not followed (counted as skipped_link), and whiteout
// entries (.wh.*), which only record deletions, are passed over.
type fsSource struct {
	fsys    fs.FS
	prefix  string // prepended to the paths of the findings
	maxSize int64
	counter
}

func (s *fsSource) blobs(ctx context.Context, yield func(Blob) error) error {
	return fs.WalkDir(s.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return wrapSource("%s: %w", p, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return nil
		case strings.HasPrefix(path.Base(p), ".wh."):
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			s.count("skipped_link")
			return nil
		case !d.Type().IsRegular():
			s.count("skipped_special")
			return nil
		}
		name := path.Join(s.prefix, p)
		if s.maxSize > 0 {
			if info, err := d.Info(); err == nil && info.Size() > s.maxSize {
				return yield(Blob{Path: name, StartLine: 1, read: s.tooLarge})
			}
		}
		return yield(Blob{Path: name, StartLine: 1, read: func(pc *pieces) error {
			f, err := s.fsys.Open(p)
			if err != nil {
				return wrapSource("%s: %w", p, err)
			}
			defer f.Close()
			if err := s.content(pc, f); err != nil {
				return wrapSource("%s: %w", p, err)
			}
			return nil
		}})
	})
}

// ScanFS scans the regular files of fsys (a container image layer) with the
// engine, fingerprinting secrets with ids; when maxSize is above zero, the
// content of larger files is not read. Finding paths are prefix joined
// with the file's path. It returns the findings and counts of what was
// read and skipped.
func ScanFS(ctx context.Context, e *Engine, ids *secretid.Deriver, fsys fs.FS, prefix string, maxSize int64) ([]findings.Finding, map[string]int, error) {
	src := &fsSource{fsys: fsys, prefix: prefix, maxSize: maxSize}
	fs, sum, err := scan(ctx, e, src, ids)
	if err != nil {
		return nil, nil, err
	}
	stats := src.stats()
	sum.add(stats)
	return fs, stats, nil
}
