package osv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/secgate/secgate/safefile"
)

// RecordFile is the fetch record of an offline database, DIR/secgate-db.json:
// Download writes it, and a scan with a maximum database age reads it.
const RecordFile = "secgate-db.json"

// recordVersion is the version of RecordFile's format.
const recordVersion = 1

// Record says when and whence each ecosystem file of an offline database
// was fetched.
type Record struct {
	Version int `json:"version"`
	// Ecosystems maps an ecosystem ("Go") to the fetch of its
	// DIR/<Ecosystem>/all.zip.
	Ecosystems map[string]Fetch `json:"ecosystems"`
	// Files maps a file fetched beside the export (DownloadOptions.Files:
	// "kev", "epss") to its fetch.
	Files map[string]Fetch `json:"files,omitempty"`
}

// Fetch is the record of one download of an ecosystem's all.zip, or of a
// file beside them.
type Fetch struct {
	// FetchedAt is when the download completed, in UTC to the second
	// (RFC 3339).
	FetchedAt time.Time `json:"fetched_at"`
	URL       string    `json:"url"`
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256"`
	Records   int       `json:"records"`
}

// ReadRecord reads DIR/secgate-db.json; the error wraps fs.ErrNotExist when
// the database has none (one not written by secgate db download).
func ReadRecord(dir string) (*Record, error) {
	p := filepath.Join(dir, RecordFile)
	data, err := safefile.Read("", p, safefile.DBRecord)
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if r.Version != recordVersion {
		return nil, fmt.Errorf("read %s: version %d, want %d", p, r.Version, recordVersion)
	}
	return &r, nil
}

// writeRecord replaces DIR/secgate-db.json atomically.
func writeRecord(dir string, r *Record) error {
	r.Version = recordVersion
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", RecordFile, err)
	}
	p := filepath.Join(dir, RecordFile)
	tmp, err := os.CreateTemp(dir, "."+RecordFile+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := commit(tmp, p); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// commit makes tmp, a file written in dst's directory, dst: it syncs and
// closes tmp, makes it world-readable (os.CreateTemp makes it private),
// renames it over dst and syncs the directory, so that after a crash dst
// is either the old file or the whole new one.
func commit(tmp *os.File, dst string) error {
	err := tmp.Sync()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// syncDir makes a rename in dir durable. Windows cannot open a directory
// to sync it, and needs no such step.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// DBAge is how old one ecosystem file of an offline database is.
type DBAge struct {
	Ecosystem string
	// Fetched is when the file was downloaded, per the fetch record, or
	// else the file's modification time.
	Fetched time.Time
	// Age is how long before the scan Fetched was.
	Age time.Duration
	// NoRecord, when not empty, says why no fetch record dates the file
	// (none, unreadable, or one of another file), and so why Fetched is
	// the modification time.
	NoRecord string
}

// dbAge dates DIR/<eco>/all.zip. rec is the database's fetch record (nil
// when none) and recErr why there is none.
func dbAge(dir, eco string, rec *Record, recErr error) (DBAge, error) {
	p := zipPath(dir, eco)
	fi, err := os.Stat(p)
	if err != nil {
		return DBAge{}, fmt.Errorf("date %s: %w", p, err)
	}
	age := DBAge{Ecosystem: eco, Fetched: fi.ModTime()}
	switch {
	case rec == nil && errors.Is(recErr, fs.ErrNotExist):
		age.NoRecord = "the database has no " + RecordFile
	case rec == nil:
		age.NoRecord = fmt.Sprintf("unreadable %s: %v", RecordFile, recErr)
	default:
		f, ok := rec.Ecosystems[eco]
		switch {
		case !ok:
			age.NoRecord = "no record of " + eco + " in " + RecordFile
		case f.Size != fi.Size():
			age.NoRecord = fmt.Sprintf("%s records a file of %d bytes, not this one of %d", RecordFile, f.Size, fi.Size())
		default:
			age.Fetched = f.FetchedAt
		}
	}
	return age, nil
}

// ParseAge reads a duration as time.ParseDuration does ("168h", "90m"),
// and also in days: "7d", "1d12h". Zero ("0") is allowed; a negative age
// is not.
func ParseAge(s string) (time.Duration, error) {
	bad := fmt.Errorf("parse age %q: want a duration such as 7d, 36h or 1d12h", s)
	rest := strings.TrimSpace(s)
	var days time.Duration
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		n, err := strconv.ParseUint(rest[:i], 10, 32)
		if err != nil || n > maxAgeDays {
			return 0, bad
		}
		days, rest = time.Duration(n)*24*time.Hour, rest[i+1:]
		if rest == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(rest)
	if err != nil || d < 0 || d > 24*maxAgeDays*time.Hour {
		return 0, bad
	}
	return days + d, nil
}

// maxAgeDays bounds ParseAge (a time.Duration holds 292 years).
const maxAgeDays = 100 * 365

// FormatAge writes a duration in days, hours and minutes ("7d", "9d4h",
// "5h30m", "0m"), to the minute.
func FormatAge(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < 0 {
		return "-" + FormatAge(-d)
	}
	days, hours, mins := int64(d/(24*time.Hour)), int64(d%(24*time.Hour)/time.Hour), int64(d%time.Hour/time.Minute)
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if hours > 0 {
		fmt.Fprintf(&b, "%dh", hours)
	}
	if mins > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%dm", mins)
	}
	return b.String()
}
