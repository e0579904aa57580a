package secrets

import (
	"context"
	"io/fs"
	"path"
	"strings"

	"github.com/secgate/secgate/findings"
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
		return yield(Blob{Path: path.Join(s.prefix, p), StartLine: 1, read: func() ([]byte, error) {
			f, err := s.fsys.Open(p)
			if err != nil {
				return nil, wrapSource("%s: %w", p, err)
			}
			defer f.Close()
			data, err := s.load(f, s.maxSize)
			if err != nil {
				return nil, wrapSource("%s: %w", p, err)
			}
			return data, nil
		}})
	})
}

// ScanFS scans the regular files of fsys (a container image layer) with the
// engine. Finding paths are prefix joined with the file's path. It returns
// the findings and counts of what was read and skipped.
func ScanFS(ctx context.Context, e *Engine, fsys fs.FS, prefix string, maxSize int64) ([]findings.Finding, map[string]int, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	src := &fsSource{fsys: fsys, prefix: prefix, maxSize: maxSize}
	fs, scanned, err := scan(ctx, e, src)
	if err != nil {
		return nil, nil, err
	}
	stats := src.stats()
	stats["bytes"] = int(scanned)
	return fs, stats, nil
}
