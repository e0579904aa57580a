// Package safefile reads the files secgate opens because a scanned
// repository, or a setting that may come from one, names them: the
// configuration, waivers, .gitleaks.toml, policies and data, a baseline,
// a Dockerfile, requirements includes, the offline database.
//
// Such a file must be a regular file (not a FIFO that blocks a read forever,
// not /dev/zero), is read with a size cap that the error names, and, when
// its path lies inside the scanned directory, is opened without following
// a symbolic link out of it. It is opened non-blocking, so that a FIFO put
// in its place between a check and the open cannot hang the gate either.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Kind names what a file is, for errors, and caps its size.
type Kind struct {
	Name string // "waivers file"
	Max  int64  // bytes; 0 means no cap (files read in parts, such as zips)
}

// The kinds of file secgate reads, and their caps: far above real files,
// far below what exhausts memory.
var (
	Config     = Kind{"configuration file", 1 << 20}
	Waivers    = Kind{"waivers file", 8 << 20}
	Rules      = Kind{"secrets rules file", 8 << 20}
	Policy     = Kind{"policy file", 8 << 20}
	Data       = Kind{"policy data file", 64 << 20}
	Baseline   = Kind{"baseline report", 512 << 20}
	Report     = Kind{"findings report", 512 << 20}
	Dockerfile = Kind{"Dockerfile", 4 << 20}
	Key        = Kind{"verification key", 1 << 20}
	VEX        = Kind{"VEX document", 64 << 20}
	GoMod      = Kind{"go.mod", 16 << 20}
	Database   = Kind{"offline database file", 0}
	DBRecord   = Kind{"offline database fetch record", 1 << 20}
	// The exploitation data beside an offline database: the KEV catalog
	// is about 1.3 MiB, the gzipped EPSS scores about 2 MiB (11 MiB
	// unzipped; package exploits caps that).
	KEV  = Kind{"CISA KEV catalog", 64 << 20}
	EPSS = Kind{"EPSS scores file", 64 << 20}
)

// ErrUnsafe is wrapped by every refusal: not a regular file, a link out of
// the scanned directory, over the size cap.
var ErrUnsafe = errors.New("refusing to read")

// Read returns the content of the file at path. dir is the scanned
// directory ("" for none): a path inside it may not lead out of it.
func Read(dir, path string, k Kind) ([]byte, error) {
	f, err := Open(dir, path, k)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := io.Reader(f)
	if k.Max > 0 {
		r = io.LimitReader(f, k.Max+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", k.Name, path, err)
	}
	if k.Max > 0 && int64(len(data)) > k.Max {
		return nil, fmt.Errorf("%w %s %s: larger than the %s limit for a %s", ErrUnsafe, k.Name, path, size(k.Max), k.Name)
	}
	return data, nil
}

// Open opens the file at path for reading, with Read's checks but the size
// cap, which it checks against the file's size only.
func Open(dir, path string, k Kind) (*os.File, error) {
	f, err := open(dir, path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named once
		}
		return nil, fmt.Errorf("read %s %s: %w", k.Name, path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s %s: %w", k.Name, path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w %s %s: not a regular file (%s)", ErrUnsafe, k.Name, path, FileType(fi.Mode()))
	}
	if k.Max > 0 && fi.Size() > k.Max {
		f.Close()
		return nil, fmt.Errorf("%w %s %s: %s, over the %s limit for a %s", ErrUnsafe, k.Name, path, size(fi.Size()), size(k.Max), k.Name)
	}
	return f, nil
}

// open opens path non-blocking, through an os.Root of dir when path lies
// inside dir, so that no symbolic link on the way leads out of it.
func open(dir, path string) (*os.File, error) {
	if dir != "" {
		absDir, err1 := filepath.Abs(dir)
		abs, err2 := filepath.Abs(path)
		if err1 == nil && err2 == nil {
			if rel, err := filepath.Rel(absDir, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				root, err := os.OpenRoot(absDir)
				if err != nil {
					return nil, err
				}
				defer root.Close()
				f, err := root.OpenFile(rel, os.O_RDONLY|nonBlock, 0)
				if err != nil && strings.Contains(err.Error(), "path escapes from parent") {
					return nil, fmt.Errorf("a symbolic link leads out of %s", dir)
				}
				return f, err
			}
		}
	}
	return os.OpenFile(path, os.O_RDONLY|nonBlock, 0)
}

// FileType names a file's kind for an error message: "a FIFO", "a directory".
func FileType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}

// size writes a byte count for people: 1 MiB, 512 MiB, 10 GiB.
func size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Size writes a byte count as Read's errors do.
func Size(n int64) string { return size(n) }
