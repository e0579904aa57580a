package osv

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/purl"
	"github.com/ossf/osv-schema/bindings/go/osvconstants"

	"github.com/secgate/secgate/exploits"
)

// zipOf returns a zip holding entries.
func zipOf(t *testing.T, entries map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range entries {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// reply is one answer of the test export server.
type reply func(w http.ResponseWriter)

func status(code int, header ...string) reply {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

func body(data []byte) reply {
	return func(w http.ResponseWriter) { w.Write(data) }
}

// hangUp closes the connection without a response: a network error.
func hangUp(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// cutShort promises more bytes than it sends, then closes the connection.
func cutShort(data []byte) reply {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)*2))
		w.WriteHeader(http.StatusOK)
		w.Write(data)
		w.(http.Flusher).Flush()
		hangUp(w)
	}
}

// exportServer answers the requests for each path in turn with its replies
// (the last one again once they run out) and counts the requests.
type exportServer struct {
	*httptest.Server
	mu       sync.Mutex
	replies  map[string][]reply
	requests map[string]int
}

func newExportServer(t *testing.T, replies map[string][]reply) *exportServer {
	s := &exportServer{replies: replies, requests: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		rs := s.replies[r.URL.Path]
		n := s.requests[r.URL.Path]
		s.requests[r.URL.Path]++
		s.mu.Unlock()
		if len(rs) == 0 {
			http.NotFound(w, r)
			return
		}
		rs[min(n, len(rs)-1)](w)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *exportServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

func (s *exportServer) total() (n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.requests {
		n += c
	}
	return n
}

// Transient failures (network errors, 429, 5xx) are retried with backoff,
// honouring Retry-After; other failures are not. A failure names the
// ecosystem and the URL and leaves the file in place as it was; a success
// replaces it and records the fetch.
func TestDownloadRetries(t *testing.T) {
	good := zipOf(t, map[string]string{"GO-2021-0113.json": `{"id":"GO-2021-0113"}`})
	old := zipOf(t, map[string]string{"GO-OLD.json": `{"id":"GO-OLD"}`})
	now := time.Date(2026, 8, 20, 10, 30, 0, 123, time.UTC)
	tests := []struct {
		name     string
		replies  []reply
		attempts int
		requests int
		waits    []time.Duration // to the second, or zero: a backoff from 1ms
		err      string          // "" for success
	}{
		{name: "ok at once", replies: []reply{body(good)}, requests: 1},
		{name: "503 then ok", replies: []reply{status(503), status(502), body(good)}, requests: 3, waits: []time.Duration{0, 0}},
		{name: "429 with Retry-After seconds", replies: []reply{status(429, "Retry-After", "3"), body(good)}, requests: 2, waits: []time.Duration{3 * time.Second}},
		{name: "503 with Retry-After date", replies: []reply{status(503, "Retry-After", now.Add(90*time.Second).Format(http.TimeFormat)), body(good)}, requests: 2, waits: []time.Duration{90 * time.Second}},
		{name: "Retry-After bounded", replies: []reply{status(503, "Retry-After", "86400"), body(good)}, requests: 2, waits: []time.Duration{maxRetryAfter}},
		{name: "connection closed then ok", replies: []reply{hangUp, body(good)}, requests: 2, waits: []time.Duration{0}},
		{name: "body cut short then ok", replies: []reply{cutShort(good[:len(good)/2]), body(good)}, requests: 2, waits: []time.Duration{0}},
		{name: "5xx until the last attempt", replies: []reply{status(500)}, requests: 4, waits: []time.Duration{0, 0, 0}, err: "500 Internal Server Error (gave up after 4 attempts)"},
		{name: "attempts bound", replies: []reply{status(503)}, attempts: 2, requests: 2, waits: []time.Duration{0}, err: "gave up after 2 attempts"},
		{name: "404 not retried", replies: []reply{status(404)}, requests: 1, err: "404 Not Found"},
		{name: "403 not retried", replies: []reply{status(403), body(good)}, requests: 1, err: "403 Forbidden"},
		{name: "not a zip, not retried", replies: []reply{body([]byte("<html>")), body(good)}, requests: 1, err: "not a zip"},
		{name: "a zip of no records", replies: []reply{body(zipOf(t, map[string]string{"README": "x"}))}, requests: 1, err: "no OSV records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newExportServer(t, map[string][]reply{"/Go/all.zip": tt.replies})
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "Go"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "Go", "all.zip"), old, 0o644); err != nil {
				t.Fatal(err)
			}
			var waits, told []time.Duration
			err := Download(context.Background(), DownloadOptions{
				Dir: dir, Ecosystems: []string{"Go"}, BaseURL: srv.URL, Attempts: tt.attempts,
				RetryBase: time.Millisecond,
				Now:       func() time.Time { return now },
				Retry: func(eco string, attempt int, wait time.Duration, err error) {
					if eco != "Go" || attempt != len(told)+1 || err == nil {
						t.Errorf("Retry(%q, %d, %v, %v)", eco, attempt, wait, err)
					}
					told = append(told, wait)
				},
				sleep: func(_ context.Context, d time.Duration) error {
					waits = append(waits, d)
					return nil
				},
			})
			if got := srv.count("/Go/all.zip"); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
			if len(waits) != len(tt.waits) || !slices.Equal(waits, told) {
				t.Errorf("waits %v (told %v), want %d", waits, told, len(tt.waits))
			}
			for i, w := range tt.waits {
				if i < len(waits) && (w != 0 && (waits[i] > w || waits[i] < w-time.Second) || w == 0 && waits[i] > time.Millisecond<<i) {
					t.Errorf("wait %d: %v, want %v (0: backoff from 1ms)", i, waits[i], w)
				}
			}
			data, rerr := os.ReadFile(filepath.Join(dir, "Go", "all.zip"))
			if rerr != nil {
				t.Fatal(rerr)
			}
			if leftovers, _ := filepath.Glob(filepath.Join(dir, "Go", ".all.zip.*")); len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
			if tt.err != "" {
				url := srv.URL + "/Go/all.zip"
				if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "download OSV database Go: GET "+url) {
					t.Errorf("error %v, want %q naming Go and %s", err, tt.err, url)
				}
				if !bytes.Equal(data, old) {
					t.Error("a failed download replaced Go/all.zip")
				}
				if _, err := os.Stat(filepath.Join(dir, RecordFile)); err == nil {
					t.Error("a failed download wrote a fetch record")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, good) {
				t.Error("Go/all.zip is not the downloaded zip")
			}
			if fi, err := os.Stat(filepath.Join(dir, "Go", "all.zip")); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("Go/all.zip: %v, mode %v; want 0644", err, fi.Mode())
			}
			rec, err := ReadRecord(dir)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(good)
			want := Fetch{FetchedAt: now.Truncate(time.Second), URL: srv.URL + "/Go/all.zip", Size: int64(len(good)), SHA256: hex.EncodeToString(sum[:]), Records: 1}
			if got := rec.Ecosystems["Go"]; got != want {
				t.Errorf("record %+v, want %+v", got, want)
			}
		})
	}
}

// The backoff waits use the base in earnest: from 1ms, a retried download
// takes milliseconds.
func TestDownloadBackoffSleeps(t *testing.T) {
	good := zipOf(t, map[string]string{"A.json": `{"id":"A"}`})
	srv := newExportServer(t, map[string][]reply{"/npm/all.zip": {status(503), status(503), status(503), body(good)}})
	start := time.Now()
	if err := Download(context.Background(), DownloadOptions{Dir: t.TempDir(), Ecosystems: []string{"npm"}, BaseURL: srv.URL, RetryBase: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	// A done context stops the waits.
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("stop"))
	srv = newExportServer(t, map[string][]reply{"/npm/all.zip": {status(503)}})
	err := Download(ctx, DownloadOptions{Dir: t.TempDir(), Ecosystems: []string{"npm"}, BaseURL: srv.URL, RetryBase: time.Hour})
	if err == nil || srv.total() > 1 {
		t.Errorf("cancelled: %v after %d requests", err, srv.total())
	}
}

func TestBackoff(t *testing.T) {
	for attempt := 1; attempt <= 5; attempt++ {
		full := time.Second << (attempt - 1)
		for range 100 {
			if d := backoff(time.Second, attempt); d < full/2 || d > full {
				t.Fatalf("attempt %d: %v, want in [%v, %v]", attempt, d, full/2, full)
			}
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 8, 20, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"7", 7 * time.Second},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"-3", 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.header, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

// Every name is checked before anything is fetched: "go" is not "Go".
func TestCheckEcosystems(t *testing.T) {
	tests := []struct {
		names []string
		err   string // "" when valid
	}{
		{[]string{"Go", "npm", "PyPI", "crates.io", "Red Hat", "Maven", "Debian"}, ""},
		{[]string{"go"}, `"go" (did you mean "Go"?)`},
		{[]string{"Go", "NPM"}, `"NPM" (did you mean "npm"?)`},
		{[]string{"pypi"}, `did you mean "PyPI"?`},
		{[]string{"redhat"}, `did you mean "Red Hat"?`},
		{[]string{"Debian:12"}, `"Debian:12" (a release: offline scans read the whole ecosystem, give "Debian")`},
		{[]string{"Nope"}, `unknown OSV ecosystem "Nope"; OSV's ecosystems, spelled exactly so, are: AlmaLinux,`},
		{[]string{"../etc"}, `"../etc"`},
		{[]string{"GIT"}, `"GIT"`},
	}
	for _, tt := range tests {
		err := CheckEcosystems(tt.names)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("CheckEcosystems(%q) = %v, want %q", tt.names, err, tt.err)
		}
	}
	srv := newExportServer(t, nil)
	err := Download(context.Background(), DownloadOptions{Dir: t.TempDir(), Ecosystems: []string{"npm", "go"}, BaseURL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), `did you mean "Go"?`) || srv.total() != 0 {
		t.Errorf("Download(npm, go): %v after %d requests; want the suggestion, no request", err, srv.total())
	}
}

// knownEcosystems names every ecosystem constant of osv-schema, and no two
// of them fold to the same suggestion key.
func TestKnownEcosystemsMatchOSVSchema(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to locate osv-schema's sources")
	}
	out, err := exec.Command(gobin, "list", "-f", "{{.Dir}}", "github.com/ossf/osv-schema/bindings/go/osvconstants").Output()
	if err != nil {
		t.Skipf("go list osvconstants: %v", err)
	}
	pkgs, err := parser.ParseDir(token.NewFileSet(), strings.TrimSpace(string(out)), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pkgs {
		for _, f := range p.Files {
			ast.Inspect(f, func(n ast.Node) bool {
				if vs, ok := n.(*ast.ValueSpec); ok {
					if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Ecosystem" {
						for _, v := range vs.Values {
							if lit, ok := v.(*ast.BasicLit); ok {
								if name, err := strconv.Unquote(lit.Value); err == nil {
									names = append(names, name)
								}
							}
						}
					}
				}
				return true
			})
		}
	}
	known := make([]string, len(knownEcosystems))
	for i, e := range knownEcosystems {
		known[i] = string(e)
	}
	slices.Sort(names)
	slices.Sort(known)
	if len(names) == 0 || !slices.Equal(names, known) {
		t.Errorf("osvconstants declares the ecosystems\n%q\nknownEcosystems lists\n%q", names, known)
	}
	folded := map[string]osvconstants.Ecosystem{}
	for _, e := range knownEcosystems {
		if other, dup := folded[foldName(string(e))]; dup {
			t.Errorf("%q and %q fold alike", e, other)
		}
		folded[foldName(string(e))] = e
	}
}

// An ecosystem named with a space is fetched from its escaped URL, and the
// record keeps what was fetched before.
func TestDownloadKeepsOtherRecords(t *testing.T) {
	good := zipOf(t, map[string]string{"RHSA-1.json": `{"id":"RHSA-1"}`})
	srv := newExportServer(t, map[string][]reply{"/Red Hat/all.zip": {body(good)}, "/Go/all.zip": {body(good)}})
	dir := t.TempDir()
	first := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	for i, eco := range []string{"Go", "Red Hat"} {
		at := first.Add(time.Duration(i) * time.Hour)
		if err := Download(context.Background(), DownloadOptions{Dir: dir, Ecosystems: []string{eco}, BaseURL: srv.URL, Now: func() time.Time { return at }}); err != nil {
			t.Fatal(err)
		}
	}
	rec, err := ReadRecord(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.Ecosystems["Go"].FetchedAt; !got.Equal(first) {
		t.Errorf("Go fetched at %v, want %v", got, first)
	}
	if got := rec.Ecosystems["Red Hat"]; got.URL != srv.URL+"/Red%20Hat/all.zip" || !got.FetchedAt.Equal(first.Add(time.Hour)) {
		t.Errorf("Red Hat: %+v", got)
	}
	raw, err := os.ReadFile(filepath.Join(dir, RecordFile))
	if err != nil || !strings.Contains(string(raw), `"fetched_at": "2026-08-01T00:00:00Z"`) {
		t.Errorf("record file (%v):\n%s", err, raw)
	}
}

// With MaxAge, the offline matcher warns of each ecosystem file a scan uses
// that is older, dated by the fetch record or, without a record of it, by
// the file's modification time (and says so).
func TestOfflineStale(t *testing.T) {
	now := time.Date(2026, 8, 20, 12, 0, 0, 0, time.UTC)
	goPkgs := []*extractor.Package{pkg(purl.TypeGolang, "golang.org/x/text", "v0.3.5")}
	both := append([]*extractor.Package{pkg(purl.TypeNPM, "lodash", "4.17.15")}, goPkgs...)
	entries := map[string]string{"A.json": `{"id":"A"}`}
	fetch := func(dir, eco string, at time.Time) Fetch {
		fi, err := os.Stat(zipPath(dir, eco))
		if err != nil {
			t.Fatal(err)
		}
		return Fetch{FetchedAt: at, Size: fi.Size()}
	}
	tests := []struct {
		name   string
		maxAge time.Duration
		pkgs   []*extractor.Package
		setup  func(dir string) // the zips exist, modified now
		want   []string         // substrings of the one warning; none: no warning
	}{
		{name: "off", maxAge: 0, pkgs: both, setup: func(dir string) {
			os.Chtimes(zipPath(dir, "Go"), now.AddDate(-1, 0, 0), now.AddDate(-1, 0, 0))
		}},
		{name: "fresh record", maxAge: 7 * 24 * time.Hour, pkgs: both, setup: func(dir string) {
			writeRecord(dir, &Record{Ecosystems: map[string]Fetch{"Go": fetch(dir, "Go", now.Add(-time.Hour)), "npm": fetch(dir, "npm", now.AddDate(0, 0, -6))}})
		}},
		{name: "stale record", maxAge: 7 * 24 * time.Hour, pkgs: both, setup: func(dir string) {
			writeRecord(dir, &Record{Ecosystems: map[string]Fetch{"Go": fetch(dir, "Go", now.Add(-(9*24+4)*time.Hour)), "npm": fetch(dir, "npm", now)}})
		}, want: []string{"the offline OSV database of Go is 9d4h old (fetched 2026-08-11T08:00:00Z), older than --max-db-age 7d"}},
		{name: "only the scan's ecosystems", maxAge: 7 * 24 * time.Hour, pkgs: goPkgs, setup: func(dir string) {
			writeRecord(dir, &Record{Ecosystems: map[string]Fetch{"Go": fetch(dir, "Go", now), "npm": fetch(dir, "npm", now.AddDate(0, -1, 0))}})
		}},
		{name: "no record: mtime", maxAge: 24 * time.Hour, pkgs: both, setup: func(dir string) {
			os.Chtimes(zipPath(dir, "npm"), now.Add(-50*time.Hour), now.Add(-50*time.Hour))
		}, want: []string{"of npm is 2d2h old (by its file's modification time, 2026-08-18T10:00:00Z: the database has no " + RecordFile + "), older than --max-db-age 1d"}},
		{name: "no record of the ecosystem", maxAge: 24 * time.Hour, pkgs: both, setup: func(dir string) {
			writeRecord(dir, &Record{Ecosystems: map[string]Fetch{"npm": fetch(dir, "npm", now)}})
			os.Chtimes(zipPath(dir, "Go"), now.Add(-48*time.Hour), now.Add(-48*time.Hour))
		}, want: []string{"of Go is 2d old (by its file's modification time, 2026-08-18T12:00:00Z: no record of Go in"}},
		{name: "record of another file", maxAge: 24 * time.Hour, pkgs: goPkgs, setup: func(dir string) {
			f := fetch(dir, "Go", now)
			f.Size++
			writeRecord(dir, &Record{Ecosystems: map[string]Fetch{"Go": f}})
			os.Chtimes(zipPath(dir, "Go"), now.Add(-48*time.Hour), now.Add(-48*time.Hour))
		}, want: []string{"of Go is 2d old (by its file's modification time", "records a file of"}},
		{name: "unreadable record", maxAge: 24 * time.Hour, pkgs: goPkgs, setup: func(dir string) {
			os.WriteFile(filepath.Join(dir, RecordFile), []byte("{"), 0o644)
			os.Chtimes(zipPath(dir, "Go"), now.Add(-48*time.Hour), now.Add(-48*time.Hour))
		}, want: []string{"of Go is 2d old", "unreadable " + RecordFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, eco := range []string{"Go", "npm"} {
				writeZip(t, dir, eco, entries)
				if err := os.Chtimes(zipPath(dir, eco), now, now); err != nil {
					t.Fatal(err)
				}
			}
			tt.setup(dir)
			var told []string
			o := &Offline{Dir: dir, MaxAge: tt.maxAge, Now: func() time.Time { return now }, Warn: func(msg string) { told = append(told, msg) }}
			got := Warnings(o, tt.pkgs)
			if len(got) != min(len(tt.want), 1) {
				t.Fatalf("warnings %q, want one holding %q", got, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(got[0], w) {
					t.Errorf("warning %q lacks %q", got[0], w)
				}
			}
			// Warn hears each warning once, however many scans ask.
			Warnings(o, tt.pkgs)
			if !slices.Equal(told, got) {
				t.Errorf("Warn told %q, want %q", told, got)
			}
		})
	}
}

func TestParseAndFormatAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		out  string // FormatAge(want); "" for an invalid input
	}{
		{"7d", 7 * 24 * time.Hour, "7d"},
		{"168h", 7 * 24 * time.Hour, "7d"},
		{"1d12h", 36 * time.Hour, "1d12h"},
		{"90m", 90 * time.Minute, "1h30m"},
		{"0", 0, "0m"},
		{" 2d ", 48 * time.Hour, "2d"},
		{"-1h", 0, ""},
		{"d", 0, ""},
		{"7days", 0, ""},
		{"1.5d", 0, ""},
		{"99999999d", 0, ""},
		{"", 0, ""},
	}
	for _, tt := range tests {
		got, err := ParseAge(tt.in)
		if tt.out == "" {
			if err == nil {
				t.Errorf("ParseAge(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want || FormatAge(got) != tt.out {
			t.Errorf("ParseAge(%q) = %v, %v (%s); want %v (%s)", tt.in, got, err, FormatAge(got), tt.want, tt.out)
		}
	}
}

// exploitFiles are the KEV and EPSS files as cmd/secgate's db download
// fetches them, from srv, with the real checks of package exploits.
func exploitFiles(srv string) []File {
	return []File{
		{Name: "kev", URL: srv + "/feeds/known_exploited_vulnerabilities.json", Path: exploits.KEVFile, MaxSize: 64 << 10, Check: exploits.CheckKEV},
		{Name: "epss", URL: srv + "/epss_scores-current.csv.gz", Path: exploits.EPSSFile, MaxSize: 64 << 10, Check: exploits.CheckEPSS},
	}
}

// The exploitation data is fetched like an ecosystem's zip: beside the
// export, checked, retried, recorded; a truncated, malformed or oversized
// download is refused and leaves the good copy in place. Real data from
// testdata/exploits, on loopback.
func TestDownloadFiles(t *testing.T) {
	kev, err := os.ReadFile(filepath.Join("..", "testdata", "exploits", exploits.KEVFile))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := os.ReadFile(filepath.Join("..", "testdata", "exploits", exploits.EPSSPlainFile))
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	epss := gz.Bytes()

	const kevPath, epssPath = "/feeds/known_exploited_vulnerabilities.json", "/epss_scores-current.csv.gz"
	srv := newExportServer(t, map[string][]reply{
		"/npm/all.zip": {body(zipOf(t, map[string]string{"GHSA-1.json": `{"id":"GHSA-1"}`}))},
		kevPath:        {status(http.StatusServiceUnavailable), body(kev)},
		epssPath:       {hangUp, body(epss)},
	})
	dir := t.TempDir()
	at := time.Date(2026, 9, 30, 8, 0, 0, 0, time.UTC)
	var progress []string
	opts := DownloadOptions{
		Dir: dir, Ecosystems: []string{"npm"}, BaseURL: srv.URL, Files: exploitFiles(srv.URL), Now: func() time.Time { return at },
		sleep: func(context.Context, time.Duration) error { return nil },
		Progress: func(name string, n int64, records int) {
			progress = append(progress, fmt.Sprintf("%s %d %d", name, n, records))
		},
	}
	if err := Download(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if want := []string{"npm", fmt.Sprintf("kev %d 3", len(kev)), fmt.Sprintf("epss %d 8", len(epss))}; len(progress) != 3 || !strings.HasPrefix(progress[0], want[0]) || progress[1] != want[1] || progress[2] != want[2] {
		t.Errorf("progress %q, want %q", progress, want)
	}
	for p, want := range map[string][]byte{exploits.KEVFile: kev, exploits.EPSSFile: epss} {
		if got, err := os.ReadFile(filepath.Join(dir, p)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: not the served file (%v)", p, err)
		}
	}
	if srv.count(kevPath) != 2 || srv.count(epssPath) != 2 {
		t.Errorf("requests: kev %d, epss %d; want a retry of each", srv.count(kevPath), srv.count(epssPath))
	}
	rec, err := ReadRecord(dir)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(kev)
	if f := rec.Files["kev"]; f.URL != srv.URL+kevPath || f.Size != int64(len(kev)) || f.Records != 3 || f.SHA256 != hex.EncodeToString(sum[:]) || !f.FetchedAt.Equal(at) {
		t.Errorf("kev record %+v", f)
	}
	if f := rec.Files["epss"]; f.Records != 8 || f.Size != int64(len(epss)) {
		t.Errorf("epss record %+v", f)
	}
	if _, ok := rec.Ecosystems["npm"]; !ok {
		t.Errorf("npm's record lost: %+v", rec)
	}
	// The data reads back as the scan would.
	if db, err := exploits.Open(dir, nil); err != nil || len(db.KEV) != 3 || len(db.EPSS) != 8 {
		t.Fatalf("downloaded data: %+v, %v", db, err)
	}

	// Bad downloads: each refused naming the file and the URL, the good
	// copy and its record untouched.
	bad := []struct {
		name    string
		path    string
		reply   reply
		wantErr string
	}{
		{"truncated KEV", kevPath, body(kev[:len(kev)/2]), "truncated"},
		{"KEV as HTML", kevPath, body([]byte("<html>maintenance</html>")), "not a KEV catalog"},
		{"empty KEV", kevPath, body([]byte(`{"catalogVersion":"x","dateReleased":"x","count":0,"vulnerabilities":[]}`)), "lists no vulnerability"},
		{"oversized KEV", kevPath, body(bytes.Repeat([]byte(" "), 65<<10)), "more than the 65536 bytes limit"},
		{"truncated EPSS", epssPath, body(epss[:len(epss)-10]), "truncated"},
		{"EPSS cut short", epssPath, cutShort(epss), "read the body"},
		{"EPSS not scores", epssPath, body([]byte("cve,epss\n")), "#model_version"},
		{"EPSS 404", epssPath, status(http.StatusNotFound), "404 Not Found"},
	}
	before := map[string][]byte{}
	for _, p := range []string{exploits.KEVFile, exploits.EPSSFile, RecordFile} {
		before[p], _ = os.ReadFile(filepath.Join(dir, p))
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			srv.mu.Lock()
			srv.replies[tt.path] = []reply{tt.reply}
			srv.mu.Unlock()
			defer func() {
				srv.mu.Lock()
				srv.replies[kevPath], srv.replies[epssPath] = []reply{body(kev)}, []reply{body(epss)}
				srv.mu.Unlock()
			}()
			o := opts
			o.Ecosystems, o.Attempts = nil, 2
			err := Download(context.Background(), o)
			name := "kev"
			if tt.path == epssPath {
				name = "epss"
			}
			if err == nil || !strings.Contains(err.Error(), "download "+name+": GET "+srv.URL+tt.path) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one naming %s, its URL and %q", err, name, tt.wantErr)
			}
			for p, want := range before {
				if got, err := os.ReadFile(filepath.Join(dir, p)); err != nil || !bytes.Equal(got, want) {
					t.Errorf("a refused download changed %s (%v)", p, err)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
		})
	}
}
