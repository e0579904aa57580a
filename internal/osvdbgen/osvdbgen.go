// Package osvdbgen owns the offline OSV test database of this repository.
//
// The sources are real OSV advisories, one JSON record per file, kept under
// testdata/osv/<Ecosystem>/<ID>.json (their provenance is recorded in
// testdata/osv/README.md). Build turns them into the layout of the public OSV
// export, testdata/osvdb/<Ecosystem>/all.zip, which is what the dependency
// scanner reads when it runs offline.
//
// The zips are golden files: they are written only by Build, never by hand.
// After changing a source record, regenerate them with
//
//	go test ./internal/osvdbgen -update
//
// and commit sources and zips together. Without -update the package test
// rebuilds the database into a temporary directory and fails if a single byte
// differs from the committed zips.
package osvdbgen

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ArchiveName is the file name of each ecosystem's archive, as in the public
// OSV export (https://osv-vulnerabilities.storage.googleapis.com/<Ecosystem>/all.zip).
const ArchiveName = "all.zip"

// entryTime is the modification time stamped on every zip entry, so that the
// archives depend on the source bytes alone.
var entryTime = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// Build reads every ecosystem directory of srcDir and writes
// dstDir/<Ecosystem>/all.zip holding that directory's records. Entries are
// named <ID>.json, sorted by name, stored uncompressed with a fixed
// modification time and the source bytes unchanged, so the output is
// byte-for-byte reproducible. Build validates every record first and writes
// nothing if any record is invalid. Files in srcDir that are not directories
// (such as README.md) are ignored.
func Build(srcDir, dstDir string) error {
	ecosystems, err := Load(srcDir)
	if err != nil {
		return err
	}
	for _, eco := range ecosystems {
		buf, err := archive(eco.Records)
		if err != nil {
			return fmt.Errorf("osvdbgen: %s: %w", eco.Name, err)
		}
		dir := filepath.Join(dstDir, eco.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("osvdbgen: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, ArchiveName), buf, 0o644); err != nil {
			return fmt.Errorf("osvdbgen: %w", err)
		}
	}
	return nil
}

// Ecosystem is one directory of the source tree.
type Ecosystem struct {
	Name    string   // directory name, e.g. "Go", "PyPI", "crates.io"
	Records []Record // sorted by file name
}

// Record is one source advisory.
type Record struct {
	ID   string // the record's id, equal to its file name without .json
	Path string // path of the source file
	Data []byte // file contents, copied verbatim into the archive
}

// Load reads and validates the source tree without writing anything.
// Ecosystems are returned sorted by name, records sorted by file name.
func Load(srcDir string) ([]Ecosystem, error) {
	dirs, err := os.ReadDir(srcDir)
	if err != nil {
		return nil, fmt.Errorf("osvdbgen: %w", err)
	}
	var out []Ecosystem
	var problems []error
	seen := map[string]string{}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		eco := Ecosystem{Name: d.Name()}
		files, err := os.ReadDir(filepath.Join(srcDir, d.Name()))
		if err != nil {
			return nil, fmt.Errorf("osvdbgen: %w", err)
		}
		for _, f := range files {
			p := filepath.Join(srcDir, d.Name(), f.Name())
			if f.IsDir() || !strings.HasSuffix(f.Name(), ".json") {
				problems = append(problems, fmt.Errorf("%s: not a .json record", p))
				continue
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("osvdbgen: %w", err)
			}
			id := strings.TrimSuffix(f.Name(), ".json")
			if err := Validate(data, id, eco.Name); err != nil {
				problems = append(problems, fmt.Errorf("%s: %w", p, err))
				continue
			}
			if prev, ok := seen[id]; ok {
				problems = append(problems, fmt.Errorf("%s: id %s already defined in %s", p, id, prev))
				continue
			}
			seen[id] = p
			eco.Records = append(eco.Records, Record{ID: id, Path: p, Data: data})
		}
		if len(eco.Records) == 0 && len(problems) == 0 {
			problems = append(problems, fmt.Errorf("%s: ecosystem directory holds no records", filepath.Join(srcDir, d.Name())))
		}
		sort.Slice(eco.Records, func(i, j int) bool { return eco.Records[i].ID < eco.Records[j].ID })
		out = append(out, eco)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("osvdbgen: invalid sources:\n%w", errors.Join(problems...))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("osvdbgen: %s holds no ecosystem directories", srcDir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// record is the part of the OSV schema that Validate checks.
type record struct {
	ID        string  `json:"id"`
	Modified  *string `json:"modified"`
	Published *string `json:"published"`
	Withdrawn *string `json:"withdrawn"`
	Affected  []struct {
		Package *struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Type   string              `json:"type"`
			Events []map[string]string `json:"events"`
		} `json:"ranges"`
		Versions []string `json:"versions"`
	} `json:"affected"`
	Severity []struct {
		Type  string `json:"type"`
		Score string `json:"score"`
	} `json:"severity"`
}

// Validate checks that data is one OSV record usable by an offline matcher:
// valid JSON whose id equals wantID, an RFC 3339 modified time, and at least
// one affected package in ecosystem wantEco, each with a name and either
// ranges of SEMVER/ECOSYSTEM/GIT type whose events start with an
// introduced event, or an explicit versions list.
func Validate(data []byte, wantID, wantEco string) error {
	var r record
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	if dec.More() {
		return errors.New("trailing data after the JSON record")
	}
	if r.ID != wantID {
		return fmt.Errorf("id %q does not match file name %q", r.ID, wantID+".json")
	}
	for name, ts := range map[string]*string{"modified": r.Modified, "published": r.Published, "withdrawn": r.Withdrawn} {
		if ts == nil {
			if name == "modified" {
				return errors.New("missing modified")
			}
			continue
		}
		if _, err := time.Parse(time.RFC3339, *ts); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(r.Affected) == 0 {
		return errors.New("no affected entries")
	}
	// The OSV export files a record under every ecosystem it names (a
	// GitHub advisory about an npm package and its Maven webjar is in
	// both zips), so one affected entry in the directory's is enough.
	inDir := false
	for i, a := range r.Affected {
		if a.Package == nil || a.Package.Name == "" {
			return fmt.Errorf("affected[%d]: missing package name", i)
		}
		if base, _, _ := strings.Cut(a.Package.Ecosystem, ":"); base == wantEco {
			inDir = true
		}
		if len(a.Ranges) == 0 && len(a.Versions) == 0 {
			return fmt.Errorf("affected[%d]: neither ranges nor versions", i)
		}
		for j, rg := range a.Ranges {
			switch rg.Type {
			case "SEMVER", "ECOSYSTEM", "GIT":
			default:
				return fmt.Errorf("affected[%d].ranges[%d]: unknown type %q", i, j, rg.Type)
			}
			if len(rg.Events) == 0 {
				return fmt.Errorf("affected[%d].ranges[%d]: no events", i, j)
			}
			introduced := false
			for k, ev := range rg.Events {
				if len(ev) != 1 {
					return fmt.Errorf("affected[%d].ranges[%d].events[%d]: want exactly one key", i, j, k)
				}
				for key, v := range ev {
					switch key {
					case "introduced":
						introduced = true
					case "fixed", "last_affected", "limit":
					default:
						return fmt.Errorf("affected[%d].ranges[%d].events[%d]: unknown event %q", i, j, k, key)
					}
					if v == "" {
						return fmt.Errorf("affected[%d].ranges[%d].events[%d]: empty version", i, j, k)
					}
				}
			}
			if !introduced {
				return fmt.Errorf("affected[%d].ranges[%d]: no introduced event", i, j)
			}
		}
	}
	if !inDir {
		return fmt.Errorf("no affected entry in ecosystem %q (its directory)", wantEco)
	}
	for i, s := range r.Severity {
		switch s.Type {
		case "CVSS_V2", "CVSS_V3", "CVSS_V4":
		default:
			return fmt.Errorf("severity[%d]: unknown type %q", i, s.Type)
		}
		if s.Score == "" {
			return fmt.Errorf("severity[%d]: empty score", i)
		}
	}
	return nil
}

// archive returns the zip holding records, in the given (sorted) order.
func archive(records []Record) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, r := range records {
		h := &zip.FileHeader{
			Name:     r.ID + ".json",
			Method:   zip.Store,
			Modified: entryTime,
		}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(r.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
