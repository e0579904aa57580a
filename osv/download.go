package osv

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// DefaultExportURL is the public OSV export: <URL>/<Ecosystem>/all.zip.
const DefaultExportURL = "https://osv-vulnerabilities.storage.googleapis.com"

// DownloadOptions configure Download.
type DownloadOptions struct {
	// Dir receives Dir/<Ecosystem>/all.zip, the layout --offline-db reads.
	Dir        string
	Ecosystems []string
	// BaseURL of the export; DefaultExportURL when empty.
	BaseURL    string
	HTTPClient *http.Client
	// Progress is told each ecosystem as it is fetched; may be nil.
	Progress func(ecosystem string, bytes int64, records int)
}

// Download fetches the OSV export of each ecosystem into the offline
// database layout. Each zip is written to a temporary file, checked to be a
// zip of .json records, then renamed into place: an interrupted or corrupt
// download never replaces a good database.
func Download(ctx context.Context, opts DownloadOptions) error {
	if opts.Dir == "" || len(opts.Ecosystems) == 0 {
		return fmt.Errorf("download OSV database: a directory and ecosystems are required")
	}
	base := strings.TrimSuffix(opts.BaseURL, "/")
	if base == "" {
		base = DefaultExportURL
	}
	client := opts.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	for _, eco := range opts.Ecosystems {
		eco = strings.TrimSpace(eco)
		if eco == "" || strings.ContainsAny(eco, `/\`) || eco == "." || eco == ".." {
			return fmt.Errorf("download OSV database: invalid ecosystem %q", eco)
		}
		n, records, err := downloadOne(ctx, client, base+"/"+eco+"/all.zip", filepath.Join(opts.Dir, eco))
		if err != nil {
			return fmt.Errorf("download OSV database %s: %w", eco, err)
		}
		if opts.Progress != nil {
			opts.Progress(eco, n, records)
		}
	}
	return nil
}

func downloadOne(ctx context.Context, client *http.Client, url, dir string) (int64, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, 0, err
	}
	tmp, err := os.CreateTemp(dir, ".all.zip.*")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, resp.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, 0, fmt.Errorf("GET %s: %w", url, err)
	}
	zr, err := zip.OpenReader(tmp.Name())
	if err != nil {
		return 0, 0, fmt.Errorf("GET %s: not a zip: %w", url, err)
	}
	records := 0
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".json") {
			records++
		}
	}
	zr.Close()
	if records == 0 {
		return 0, 0, fmt.Errorf("GET %s: the zip holds no OSV records", url)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, "all.zip")); err != nil {
		return 0, 0, err
	}
	return n, records, nil
}
