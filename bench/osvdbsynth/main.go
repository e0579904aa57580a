// Command osvdbsynth writes an offline OSV database for benchmarks: the real
// records of testdata/osvdb, padded per ecosystem with generated records
// shaped like GitHub's (summary, ~1.5 KB of details, CVSS vector, ranges,
// references), so that loading the database costs about what the public
// export's does. Generated records name packages that exist nowhere
// ("secgate-bench-<eco>-<n>") and are marked as generated in their
// database_specific field.
//
//	go run ./bench/osvdbsynth -src testdata/osvdb -dst /tmp/db -ecosystems Go,npm,PyPI
package main

import (
	"archive/zip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// sizes are rough counts of records in the public OSV export per ecosystem
// (2025), scaled down for npm, whose export is dominated by malware records.
var sizes = map[string]int{
	"npm": 20000, "PyPI": 15000, "Go": 5000, "Maven": 5000, "Packagist": 4000,
	"RubyGems": 2000, "crates.io": 2000, "NuGet": 1500,
}

const defaultSize = 1000

func main() {
	src := flag.String("src", "testdata/osvdb", "database with the real records")
	dst := flag.String("dst", "", "directory to write DIR/<Ecosystem>/all.zip into")
	ecos := flag.String("ecosystems", "Go,npm,PyPI,Maven,crates.io,RubyGems,NuGet,Packagist", "comma-separated ecosystems")
	scale := flag.Float64("scale", 1, "multiply the per-ecosystem record counts")
	flag.Parse()
	if *dst == "" {
		fmt.Fprintln(os.Stderr, "osvdbsynth: -dst is required")
		os.Exit(2)
	}
	for _, eco := range strings.Split(*ecos, ",") {
		n := sizes[eco]
		if n == 0 {
			n = defaultSize
		}
		if err := write(*src, *dst, eco, int(float64(n)**scale)); err != nil {
			fmt.Fprintf(os.Stderr, "osvdbsynth: %s: %v\n", eco, err)
			os.Exit(1)
		}
	}
}

func write(src, dst, eco string, n int) error {
	if err := os.MkdirAll(filepath.Join(dst, eco), 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dst, eco, "all.zip"))
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	if zr, err := zip.OpenReader(filepath.Join(src, eco, "all.zip")); err == nil {
		for _, e := range zr.File {
			if err := copyEntry(zw, e); err != nil {
				return err
			}
		}
		zr.Close()
	}
	for i := range n {
		w, err := zw.Create(fmt.Sprintf("SECGATE-BENCH-%d.json", i))
		if err != nil {
			return err
		}
		if err := json.NewEncoder(w).Encode(record(eco, i)); err != nil {
			return err
		}
	}
	return zw.Close()
}

func copyEntry(zw *zip.Writer, e *zip.File) error {
	r, err := e.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := zw.Create(e.Name)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

func record(eco string, i int) map[string]any {
	name := fmt.Sprintf("secgate-bench-%s-%d", strings.ToLower(eco), i)
	if eco == "Maven" {
		name = "org.secgate.bench:" + name
	}
	refs := make([]map[string]string, 6)
	for j := range refs {
		refs[j] = map[string]string{"type": "WEB", "url": fmt.Sprintf("https://example.invalid/advisories/%d/ref-%d", i, j)}
	}
	return map[string]any{
		"schema_version": "1.6.0",
		"id":             fmt.Sprintf("SECGATE-BENCH-%d", i),
		"modified":       "2025-01-01T00:00:00Z",
		"published":      "2024-01-01T00:00:00Z",
		"aliases":        []string{fmt.Sprintf("CVE-2099-%d", 10000+i)},
		"summary":        "Generated advisory for benchmarking the offline database load",
		"details":        strings.Repeat("Generated text of the size of a real advisory's description. ", 25),
		"severity":       []map[string]string{{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
		"affected": []map[string]any{{
			"package": map[string]string{"ecosystem": eco, "name": name},
			"ranges": []map[string]any{{
				"type":   "ECOSYSTEM",
				"events": []map[string]string{{"introduced": "0"}, {"fixed": fmt.Sprintf("1.%d.0", i%50)}},
			}},
			"database_specific": map[string]string{"source": "generated"},
		}},
		"references":        refs,
		"database_specific": map[string]any{"severity": "HIGH", "cwe_ids": []string{"CWE-79"}, "generated": true},
	}
}
