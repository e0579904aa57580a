package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/secgate/secgate/osv"
)

func newDBCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Manage the offline OSV database",
	}
	var (
		dir        string
		ecosystems []string
		baseURL    string
	)
	download := &cobra.Command{
		Use:   "download --dir DIR --ecosystems Go,npm,...",
		Short: "Fetch the public OSV export zips for offline scans",
		Long: `Download fetches <URL>/<Ecosystem>/all.zip of the public OSV export for each
ecosystem into DIR/<Ecosystem>/all.zip, the layout secgate scan --offline-db
reads. A zip is checked before it replaces the one in place. Ecosystem names
are OSV's: Go, npm, PyPI, Maven, crates.io, RubyGems, NuGet, Packagist,
Debian, Alpine, Ubuntu, ...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return osv.Download(cmd.Context(), osv.DownloadOptions{
				Dir: dir, Ecosystems: ecosystems, BaseURL: baseURL,
				Progress: func(eco string, n int64, records int) {
					fmt.Fprintf(stdout, "%s: %d records, %d bytes\n", eco, records, n)
				},
			})
		},
	}
	fl := download.Flags()
	fl.StringVar(&dir, "dir", "", "database `DIR` (DIR/<Ecosystem>/all.zip)")
	fl.StringSliceVar(&ecosystems, "ecosystems", nil, "comma-separated OSV `ecosystems`")
	fl.StringVar(&baseURL, "url", osv.DefaultExportURL, "base `URL` of the OSV export")
	_ = download.MarkFlagRequired("dir")
	_ = download.MarkFlagRequired("ecosystems")
	cmd.AddCommand(download)
	return cmd
}
