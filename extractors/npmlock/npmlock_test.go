package npmlock

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/osv"
	scalibrfs "github.com/google/osv-scalibr/fs"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"

	"github.com/secgate/secgate/internal/lockgen"
)

const v3 = `{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "app",
      "dependencies": {"lodash": "^4.17.20"}
    },
    "node_modules/lodash": {
      "version": "4.17.20",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz"
    },
    "node_modules/@babel/core": {
      "version": "7.0.0",
      "dev": true
    },
    "node_modules/a/node_modules/lodash": {
      "version": "4.17.21"
    },
    "node_modules/b/node_modules/lodash": {
      "version": "4.17.21",
      "optional": true
    },
    "node_modules/string-width-cjs": {
      "name": "string-width",
      "version": "4.2.3"
    },
    "node_modules/from-git": {
      "version": "1.0.0",
      "resolved": "git+ssh://git@github.com/org/from-git.git#0123456789abcdef0123456789abcdef01234567"
    },
    "node_modules/esc\"aped": {
      "version": "1.0.0"
    },
    "node_modules/tagged": {
      "version": "1.0.0",
      "resolved": "git+https://github.com/org/tagged.git#v1.0.0"
    }
  }
}
`

const v1 = `{
  "name": "app",
  "lockfileVersion": 1,
  "dependencies": {
    "minimist": {
      "version": "1.2.0",
      "dev": true
    },
    "mkdirp": {
      "version": "0.5.1",
      "requires": {"minimist": "0.0.8"},
      "dependencies": {
        "minimist": {
          "version": "0.0.8"
        }
      }
    },
    "sw": {
      "version": "npm:string-width@4.2.3"
    },
    "local": {
      "version": "file:../local"
    },
    "tagged": {
      "version": "git+https://github.com/org/tagged.git#v1.0.0",
      "from": "git+https://github.com/org/tagged.git#v1.0.0"
    },
    "by-ref": {
      "version": "https://github.com/org/by-ref/archive.tar.gz?ref=main"
    },
    "short": {
      "version": "github:org/short#v2.1.0"
    },
    "pinned": {
      "version": "git+ssh://git@github.com/org/pinned.git#0123456789abcdef0123456789abcdef01234567"
    }
  }
}
`

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Package
	}{
		{"v3", v3, []Package{
			{Name: "@babel/core", Version: "7.0.0", DepGroups: []string{"dev"}, Line: 15},
			{Name: "esc\"aped", Version: "1.0.0", Line: 34},
			{Name: "from-git", Version: "1.0.0", Commit: "0123456789abcdef0123456789abcdef01234567", Line: 30},
			{Name: "lodash", Version: "4.17.20", Line: 11},
			{Name: "lodash", Version: "4.17.21", Line: 19},
			{Name: "string-width", Version: "4.2.3", Line: 26},
			{Name: "tagged", Version: "1.0.0", Commit: "v1.0.0", Line: 37},
		}},
		// A git dependency of a v1 lockfile has no version: it is matched
		// by its commit (or tag), never by its URL as a version. The
		// github: shorthand with a tag is left as osv-scalibr leaves it.
		{"v1", v1, []Package{
			{Name: "by-ref", Commit: "main", Line: 28},
			{Name: "local", Version: "", Line: 21},
			{Name: "minimist", Version: "0.0.8", Line: 13},
			{Name: "minimist", Version: "1.2.0", DepGroups: []string{"dev"}, Line: 5},
			{Name: "mkdirp", Version: "0.5.1", Line: 9},
			{Name: "pinned", Commit: "0123456789abcdef0123456789abcdef01234567", Line: 34},
			{Name: "short", Version: "github:org/short#v2.1.0", Line: 31},
			{Name: "string-width", Version: "4.2.3", Line: 18},
			{Name: "tagged", Commit: "v1.0.0", Line: 24},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Parse:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "{", "null", `{"packages": {"node_modules/a": {"version": 1}}}`, "{ bad json"} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%q): no error", in)
		}
	}
}

// TestSameAsScalibr checks that npmlock returns what osv-scalibr's own
// extractor returns (names, versions, commits, groups and lines), so that
// replacing it changes speed only.
func TestSameAsScalibr(t *testing.T) {
	for name, content := range map[string]string{"v3": v3, "v1": v1, "generated": string(lockgen.PackageLock(300))} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			theirs, err := packagelockjson.New(&cpb.PluginConfig{})
			if err != nil {
				t.Fatal(err)
			}
			got, want := describe(t, Extractor{}, dir), describe(t, theirs, dir)
			if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
				t.Fatalf("npmlock differs from osv-scalibr:\n got %v\nwant %v", got, want)
			}
			for k, line := range got {
				// A package installed in several places is reported once:
				// osv-scalibr keeps the line of whichever occurrence its map
				// iteration saw last, npmlock the first one in the file.
				if line != want[k] && line > want[k] {
					t.Errorf("%s: line %d, osv-scalibr says %d", k, line, want[k])
				}
			}
		})
	}
}

// describe maps each package's description to its line.
func describe(t *testing.T, e filesystem.Extractor, dir string) map[string]int {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inv, err := e.Extract(context.Background(), &filesystem.ScanInput{
		FS: scalibrfs.DirFS(dir), Path: "package-lock.json", Root: dir, Reader: f,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, p := range inv.Packages {
		out[describePackage(p)] = p.Location.Descriptor.File.LineNumber
	}
	return out
}

func describePackage(p *extractor.Package) string {
	commit := ""
	if p.SourceCode != nil {
		commit = p.SourceCode.Commit
	}
	groups := p.Metadata.(*osv.DepGroupMetadata).DepGroupVals
	return fmt.Sprintf("%s@%s commit=%s groups=%v purl=%s", p.Name, p.Version, commit, groups, p.PURL())
}

func TestFileRequired(t *testing.T) {
	for path, want := range map[string]bool{
		"package-lock.json":                  true,
		"a/b/npm-shrinkwrap.json":            true,
		"node_modules/x/package-lock.json":   false,
		"a/node_modules/.package-lock.json":  false,
		"package.json":                       false,
		"a/package-lock.json.bak":            false,
		"node_modules_not/package-lock.json": true,
	} {
		if got := (Extractor{}).FileRequired(simpleAPI(path)); got != want {
			t.Errorf("FileRequired(%q) = %v, want %v", path, got, want)
		}
	}
}

type simpleAPI string

func (s simpleAPI) Path() string               { return string(s) }
func (s simpleAPI) Stat() (os.FileInfo, error) { return nil, os.ErrNotExist }

func BenchmarkParse100k(b *testing.B) {
	data := lockgen.PackageLock(100_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtract20k compares npmlock with osv-scalibr's package-lock.json
// extractor on the same 20,000-package lockfile, in one run:
//
//	go test -run XXX -bench Extract20k -benchtime 1x ./extractors/npmlock
//
// (osv-scalibr's line lookup is quadratic; at 100,000 packages it takes
// minutes, so the comparison is made at 20,000.)
func BenchmarkExtract20k(b *testing.B) {
	dir := b.TempDir()
	data := lockgen.PackageLock(20_000)
	if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	theirs, err := packagelockjson.New(&cpb.PluginConfig{})
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range []filesystem.Extractor{Extractor{}, theirs} {
		b.Run(e.Name(), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				f, err := os.Open(filepath.Join(dir, "package-lock.json"))
				if err != nil {
					b.Fatal(err)
				}
				inv, err := e.Extract(context.Background(), &filesystem.ScanInput{FS: scalibrfs.DirFS(dir), Path: "package-lock.json", Root: dir, Reader: f})
				f.Close()
				if err != nil || len(inv.Packages) == 0 {
					b.Fatalf("%d packages, %v", len(inv.Packages), err)
				}
			}
		})
	}
}
