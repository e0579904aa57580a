package osv

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/secgate/secgate/safefile"
)

// DefaultExportURL is the public OSV export: <URL>/<Ecosystem>/all.zip.
const DefaultExportURL = "https://osv-vulnerabilities.storage.googleapis.com"

// Download's retry defaults.
const (
	// DefaultAttempts is how many times an ecosystem's zip is requested
	// before Download gives up.
	DefaultAttempts = 4
	// DefaultRetryBase is the wait before the first retry; each next one
	// doubles it, with jitter.
	DefaultRetryBase = time.Second
	// maxRetryAfter bounds the wait a server's Retry-After asks for.
	maxRetryAfter = 2 * time.Minute
)

// DownloadOptions configure Download.
type DownloadOptions struct {
	// Dir receives Dir/<Ecosystem>/all.zip, the layout --offline-db reads,
	// and the fetch record Dir/secgate-db.json.
	Dir string
	// Ecosystems are OSV ecosystem names, exactly as OSV spells them
	// (see CheckEcosystems).
	Ecosystems []string
	// BaseURL of the export; DefaultExportURL when empty.
	BaseURL    string
	HTTPClient *http.Client
	// Attempts per ecosystem; DefaultAttempts when zero. Only transient
	// failures are retried: network errors, HTTP 429 and 5xx.
	Attempts int
	// RetryBase is the wait before the first retry, doubled at each next
	// one, with jitter; DefaultRetryBase when zero. A Retry-After the
	// server sends is waited for when longer (up to two minutes).
	RetryBase time.Duration
	// Now is the time recorded as a fetch's; time.Now when nil.
	Now func() time.Time
	// Progress is told each ecosystem as it is fetched; may be nil.
	Progress func(ecosystem string, bytes int64, records int)
	// Retry is told each failed attempt that will be retried, and how long
	// Download waits before the next; may be nil.
	Retry func(ecosystem string, attempt int, wait time.Duration, err error)
	// Files are fetched after the ecosystems, into Dir, in the same way
	// (retries, a check, atomic replacement, the fetch record): the
	// exploitation data beside the export. Progress and Retry name them
	// by File.Name.
	Files []File

	// sleep waits for d or until ctx is done; tests record the waits.
	sleep func(ctx context.Context, d time.Duration) error
}

// File is a file Download fetches beside the OSV export.
type File struct {
	// Name keys the file in the fetch record (Record.Files) and names it
	// in errors: "kev", "epss".
	Name string
	URL  string
	// Path is where the file goes, relative to Dir.
	Path string
	// MaxSize refuses a larger download; 0 means no cap.
	MaxSize int64
	// Check reads the whole downloaded file and returns how many records
	// it holds, or why it is not what URL serves: a file it refuses never
	// replaces the one in place.
	Check func(r io.Reader) (int, error)
}

// Download fetches the OSV export of each ecosystem into the offline
// database layout. Every name is checked against OSV's ecosystems before
// anything is fetched. Each zip is written to a temporary file beside the
// one in place, checked to be a zip of .json records, synced, then renamed
// over it: an interrupted, failed or corrupt download never replaces a good
// database. Each fetched file is recorded, with its time, URL, size and
// SHA-256, in Dir/secgate-db.json, itself replaced atomically. Then each
// of Files, the same way.
func Download(ctx context.Context, opts DownloadOptions) error {
	if opts.Dir == "" || len(opts.Ecosystems)+len(opts.Files) == 0 {
		return errors.New("download OSV database: a directory and ecosystems (or files) are required")
	}
	var ecos []string
	for _, eco := range opts.Ecosystems {
		if eco = strings.TrimSpace(eco); !slices.Contains(ecos, eco) {
			ecos = append(ecos, eco)
		}
	}
	if err := CheckEcosystems(ecos); err != nil {
		return fmt.Errorf("download OSV database: %w", err)
	}
	base := strings.TrimSuffix(opts.BaseURL, "/")
	if base == "" {
		base = DefaultExportURL
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = DefaultRetryBase
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.sleep == nil {
		opts.sleep = sleep
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return fmt.Errorf("download OSV database: %w", err)
	}
	rec, err := ReadRecord(opts.Dir)
	if err != nil {
		// None yet, or one this download replaces: the files it does not
		// cover are then dated by their modification time.
		rec = &Record{}
	}
	if rec.Ecosystems == nil {
		rec.Ecosystems = map[string]Fetch{}
	}
	for _, eco := range ecos {
		u := base + "/" + url.PathEscape(eco) + "/all.zip"
		f, err := fetchRetrying(ctx, opts, eco, u, zipPath(opts.Dir, eco), 0, countRecords)
		if err != nil {
			return fmt.Errorf("download OSV database %s: %w", eco, err)
		}
		rec.Ecosystems[eco] = f
		if err := writeRecord(opts.Dir, rec); err != nil {
			return fmt.Errorf("download OSV database %s: %w", eco, err)
		}
		if opts.Progress != nil {
			opts.Progress(eco, f.Size, f.Records)
		}
	}
	for _, file := range opts.Files {
		check := func(f *os.File, _ int64) (int, error) {
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return 0, err
			}
			return file.Check(f)
		}
		f, err := fetchRetrying(ctx, opts, file.Name, file.URL, filepath.Join(opts.Dir, file.Path), file.MaxSize, check)
		if err != nil {
			return fmt.Errorf("download %s: %w", file.Name, err)
		}
		if rec.Files == nil {
			rec.Files = map[string]Fetch{}
		}
		rec.Files[file.Name] = f
		if err := writeRecord(opts.Dir, rec); err != nil {
			return fmt.Errorf("download %s: %w", file.Name, err)
		}
		if opts.Progress != nil {
			opts.Progress(file.Name, f.Size, f.Records)
		}
	}
	return nil
}

// fetchRetrying fetches u into dst (an ecosystem's all.zip, a file beside
// them), retrying transient failures with exponential backoff and jitter.
func fetchRetrying(ctx context.Context, opts DownloadOptions, name, u, dst string, maxSize int64, check func(*os.File, int64) (int, error)) (Fetch, error) {
	for attempt := 1; ; attempt++ {
		f, err := fetch(ctx, opts, u, dst, maxSize, check)
		if err == nil {
			return f, nil
		}
		var te *transientError
		if !errors.As(err, &te) {
			return Fetch{}, err
		}
		if attempt == opts.Attempts {
			return Fetch{}, fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		}
		wait := backoff(opts.RetryBase, attempt)
		if te.retryAfter > wait {
			wait = min(te.retryAfter, maxRetryAfter)
		}
		if opts.Retry != nil {
			opts.Retry(name, attempt, wait, err)
		}
		if err := opts.sleep(ctx, wait); err != nil {
			return Fetch{}, fmt.Errorf("GET %s: %w", u, err)
		}
	}
}

// backoff is the wait after the attempt-th failure: base doubled per
// attempt, half of it random ("equal jitter"), so that many clients that
// failed together do not retry together.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt-1, 16)
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d, or returns the cause of ctx being done first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// transientError is a failure that a later attempt may not meet: a network
// error, HTTP 429 or 5xx.
type transientError struct {
	err        error
	retryAfter time.Duration // what the server asked for; 0 when nothing
}

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// fetch makes one attempt at u: the body goes to a temporary file beside
// dst, is checked (at most maxSize bytes, when set, then check), and
// replaces dst only when whole and valid.
func fetch(ctx context.Context, opts DownloadOptions, u, dst string, maxSize int64, check func(*os.File, int64) (int, error)) (Fetch, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Fetch{}, fmt.Errorf("GET %s: %w", u, err)
	}
	resp, err := opts.HTTPClient.Do(req)
	if err != nil {
		return Fetch{}, classify(ctx, fmt.Errorf("GET %s: %w", u, err))
	}
	defer resp.Body.Close()
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests || code >= 500:
		return Fetch{}, &transientError{fmt.Errorf("GET %s: %s", u, resp.Status), retryAfter(resp.Header.Get("Retry-After"), opts.Now())}
	case code != http.StatusOK:
		return Fetch{}, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Fetch{}, fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".*")
	if err != nil {
		return Fetch{}, fmt.Errorf("create temporary file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	sum := sha256.New()
	body := io.Reader(resp.Body)
	if maxSize > 0 {
		body = io.LimitReader(resp.Body, maxSize+1)
	}
	n, err := io.Copy(io.MultiWriter(tmp, sum), body)
	if err != nil {
		tmp.Close()
		return Fetch{}, classify(ctx, fmt.Errorf("GET %s: read the body: %w", u, err))
	}
	if maxSize > 0 && n > maxSize {
		tmp.Close()
		return Fetch{}, fmt.Errorf("GET %s: more than the %s limit for this file", u, safefile.Size(maxSize))
	}
	records, err := check(tmp, n)
	if err != nil {
		tmp.Close()
		return Fetch{}, fmt.Errorf("GET %s: %w", u, err)
	}
	if err := commit(tmp, dst); err != nil {
		return Fetch{}, fmt.Errorf("replace %s: %w", dst, err)
	}
	return Fetch{
		FetchedAt: opts.Now().UTC().Truncate(time.Second),
		URL:       u,
		Size:      n,
		SHA256:    hex.EncodeToString(sum.Sum(nil)),
		Records:   records,
	}, nil
}

// countRecords checks that f, of size bytes, is a zip holding OSV records
// (ID.json entries), and counts them.
func countRecords(f *os.File, size int64) (int, error) {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return 0, fmt.Errorf("not a zip: %w", err)
	}
	records := 0
	for _, e := range zr.File {
		if isRecord(e) {
			records++
		}
	}
	if records == 0 {
		return 0, errors.New("the zip holds no OSV records")
	}
	return records, nil
}

// classify marks err transient when it is a network error (a refused or
// reset connection, a timeout, a body cut short) and ctx is not done: a
// cancelled download is not retried.
func classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &transientError{err: err}
	}
	return err
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date; 0 when
// absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
