package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/secgate/secgate/exploits"
	"github.com/secgate/secgate/osv"
	"github.com/secgate/secgate/safefile"
)

func newDBCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the offline OSV database and exploitation data",
	}
	var (
		dir          string
		ecosystems   []string
		baseURL      string
		attempts     int
		exploitData  bool
		kevURL, epss string
	)
	download := &cobra.Command{
		Use:   "download --dir DIR --ecosystems Go,npm,...",
		Short: "Fetch the public OSV export zips, CISA KEV and FIRST EPSS for offline scans",
		Long: `Download fetches <URL>/<Ecosystem>/all.zip of the public OSV export for each
ecosystem into DIR/<Ecosystem>/all.zip, the layout secgate scan --offline-db
reads.

Ecosystem names are OSV's, spelled exactly so: Go, npm, PyPI, Maven,
crates.io, RubyGems, NuGet, Packagist, Debian, Alpine, Ubuntu, ... Every name
is checked before anything is fetched; "go" is an error that suggests "Go".

Network errors, HTTP 429 and 5xx are retried with exponential backoff and
jitter (honouring Retry-After), up to --attempts times; other HTTP errors are
not. Each zip goes to a temporary file beside the one in place, is checked to
be a zip of OSV records, synced and renamed over it: a failed download never
replaces a good copy. DIR/` + osv.RecordFile + ` records, for each ecosystem, when
its file was fetched (fetched_at, RFC 3339 UTC), the URL, the size and the
SHA-256: secgate scan --max-db-age warns when a file is older.

Then, unless --exploit-data=false, it fetches the exploitation data the same
way (retried, checked, atomic, recorded under "files"): CISA's Known
Exploited Vulnerabilities catalog into DIR/` + exploits.KEVFile + `
(--kev-url) and FIRST's daily EPSS scores into DIR/` + exploits.EPSSFile + `
(--epss-url). A scan with --offline-db DIR reads them: findings in KEV are
denied whatever their severity. --ecosystems may then be left out, to fetch
only them (for online scans with --exploit-db DIR).`,
		Example: `  secgate db download --dir ~/osv --ecosystems Go,npm,PyPI
  secgate scan --offline-db ~/osv --max-db-age 7d .
  secgate db download --dir ~/exploits && secgate scan --exploit-db ~/exploits .`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if attempts < 1 {
				return fmt.Errorf("invalid --attempts %d: want 1 or more", attempts)
			}
			var files []osv.File
			if exploitData {
				files = []osv.File{
					{Name: "kev", URL: kevURL, Path: exploits.KEVFile, MaxSize: safefile.KEV.Max, Check: exploits.CheckKEV},
					{Name: "epss", URL: epss, Path: exploits.EPSSFile, MaxSize: safefile.EPSS.Max, Check: exploits.CheckEPSS},
				}
			}
			if len(ecosystems) == 0 && len(files) == 0 {
				return errors.New("nothing to download: give --ecosystems, or leave --exploit-data on")
			}
			return osv.Download(cmd.Context(), osv.DownloadOptions{
				Dir: dir, Ecosystems: ecosystems, BaseURL: baseURL, Attempts: attempts, Files: files,
				Progress: func(eco string, n int64, records int) {
					fmt.Fprintf(stdout, "%s: %d records, %d bytes\n", eco, records, n)
				},
				Retry: func(eco string, attempt int, wait time.Duration, err error) {
					warnf(stderr, "%s: attempt %d of %d failed: %v; retrying in %s", eco, attempt, attempts, err, wait.Round(time.Millisecond))
				},
			})
		},
	}
	fl := download.Flags()
	fl.StringVar(&dir, "dir", "", "database `DIR` (DIR/<Ecosystem>/all.zip)")
	fl.StringSliceVar(&ecosystems, "ecosystems", nil, "comma-separated OSV `ecosystems`, spelled as OSV does (Go, npm, PyPI, crates.io, ...)")
	fl.StringVar(&baseURL, "url", osv.DefaultExportURL, "base `URL` of the OSV export")
	fl.IntVar(&attempts, "attempts", osv.DefaultAttempts, "tries per ecosystem on network errors, HTTP 429 and 5xx")
	fl.BoolVar(&exploitData, "exploit-data", true, "also fetch CISA KEV and FIRST EPSS into DIR")
	fl.StringVar(&kevURL, "kev-url", exploits.KEVURL, "`URL` of CISA's KEV catalog (JSON)")
	fl.StringVar(&epss, "epss-url", exploits.EPSSURL, "`URL` of FIRST's daily EPSS scores (CSV, gzipped or not)")
	_ = download.MarkFlagRequired("dir")
	cmd.AddCommand(download)
	return cmd
}
