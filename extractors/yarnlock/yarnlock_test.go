package yarnlock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	scalibryarn "github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/inventory"

	"github.com/secgate/secgate/internal/lockgen"
)

// edge holds resolutions and headers that exercise each of osv-scalibr's
// commit expressions, its URL fallback and the name rules.
const edge = `# yarn lockfile v1


"@nicolo-ribaudo/chokidar-2@npm:2.1.8-no-fsevents.3":
  version "2.1.8-no-fsevents.3"
  resolved "https://registry.yarnpkg.com/@nicolo-ribaudo/chokidar-2/-/chokidar-2-2.1.8-no-fsevents.3.tgz#323d72dd25103d0c4fbdce89dadf574a787b1f9b"

alias@npm:other@1.0.0:
  "version" "1.0.0"
  "resolved" "github:user/repo#abcdef0123"

pct@^1:
  version "1.0.0"
  resolved "https://github%2Ecom/u/r#deadbeef"

pct2@^1:
  version "1.0.0"
  resolved "https://gitlab.com/u/r/archive.tar.gz?ref=v1.2.3&x=1"

host@^1:
  version "1.0.0"
  resolved "https://bitbucket.org/u/r#frag"

notahost@^1:
  version "1.0.0"
  resolved "https://example.com/u/r.tgz#frag"

commitkey@^1:
  version "1.0.0"
  resolved "https://example.com/u/r#commit:0123abc"

gitlab@^1:
  version "1.0.0"
  resolved "gitlab:u/r#v1"

odd@^1:
   version "3 spaces, not read"
  version "1.0.0+build.5"
  resolved 'single quotes'
  resolved "two words"
  resolution: "odd@https://github.com/u/odd.git#commit=cafe"

"big@workspace:.":
  version: 0.0.0-use.local
`

// TestSameAsScalibr checks that yarnlock returns exactly what osv-scalibr's
// own extractor returns (every field of every package, in order) on
// osv-scalibr's test inputs, generated lockfiles of both formats and edge
// cases; where osv-scalibr returns an entry without a version, yarnlock
// returns ErrNoVersion instead, or with AllowNoVersion the same.
func TestSameAsScalibr(t *testing.T) {
	inputs := map[string]string{
		"generated-v1":    string(lockgen.YarnLock(500, false)),
		"generated-berry": string(lockgen.YarnLock(500, true)),
		"edge":            edge,
		"long-line":       "a@^1:\n  version \"1.0.0\"\n\nb@^1:\n  version \"" + strings.Repeat("x", 70_000) + "\"\n\nc@^1:\n  version \"1.0.0\"\n",
		"malformed":       "  version \"1.0.0\"\n",
		"empty":           "",
	}
	files, err := filepath.Glob("testdata/scalibr/*.lock")
	if err != nil || len(files) < 20 {
		t.Fatalf("osv-scalibr's inputs: %v, %v", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = string(data)
	}
	for name, content := range inputs {
		t.Run(name, func(t *testing.T) { same(t, content) })
	}
}

func same(t *testing.T, content string) {
	t.Helper()
	got, gotErr := run(Extractor{}, content)
	want, wantErr := run(scalibryarn.Extractor{}, content)
	lenient, lenientErr := run(Extractor{AllowNoVersion: true}, content)
	if (lenientErr == nil) != (wantErr == nil) || !reflect.DeepEqual(lenient, want) {
		t.Fatalf("yarnlock (AllowNoVersion) differs from osv-scalibr: %v, %v\n got %s\nwant %s", lenientErr, wantErr, describe(lenient.Packages), describe(want.Packages))
	}
	switch {
	case errors.Is(gotErr, ErrNoVersion):
		if wantErr != nil || !hasNoVersion(want.Packages) {
			t.Fatalf("yarnlock: %v; osv-scalibr: %v, %s", gotErr, wantErr, describe(want.Packages))
		}
	case (gotErr == nil) != (wantErr == nil):
		t.Fatalf("yarnlock: %v; osv-scalibr: %v", gotErr, wantErr)
	case !reflect.DeepEqual(got, want):
		t.Fatalf("yarnlock differs from osv-scalibr:\n got %s\nwant %s", describe(got.Packages), describe(want.Packages))
	}
}

func run(e filesystem.Extractor, content string) (inventory.Inventory, error) {
	return e.Extract(context.Background(), &filesystem.ScanInput{Path: "sub/yarn.lock", Reader: strings.NewReader(content)})
}

func hasNoVersion(pkgs []*extractor.Package) bool {
	for _, p := range pkgs {
		if p.Version == "" {
			return true
		}
	}
	return false
}

func describe(pkgs []*extractor.Package) string {
	var b strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&b, "\n  %s@%s commit=%s line=%d purl=%s", p.Name, p.Version, p.SourceCode.Commit, p.Location.Descriptor.File.LineNumber, p.PURL())
	}
	return b.String()
}

func TestFileRequired(t *testing.T) {
	for p, want := range map[string]bool{
		"yarn.lock": true, "a/b/yarn.lock": true, "a/node_modules/x/yarn.lock": false, "yarn.lock.bak": false, "package-lock.json": false,
	} {
		if got := (Extractor{}).FileRequired(simpleAPI(p)); got != want {
			t.Errorf("%s: %v, want %v", p, got, want)
		}
	}
}

type simpleAPI string

func (s simpleAPI) Path() string               { return string(s) }
func (s simpleAPI) Stat() (os.FileInfo, error) { return nil, os.ErrNotExist }

// FuzzSameAsScalibr runs TestSameAsScalibr's comparison on fuzzed input.
func FuzzSameAsScalibr(f *testing.F) {
	f.Add(edge)
	f.Add(string(lockgen.YarnLock(5, false)))
	f.Add(string(lockgen.YarnLock(5, true)))
	f.Fuzz(func(t *testing.T, content string) { same(t, content) })
}

// BenchmarkExtract compares yarnlock with osv-scalibr's yarn.lock extractor
// on a generated 100,000-entry yarn.lock (v1):
//
//	go test -run XXX -bench Extract -benchtime 1x ./extractors/yarnlock
func BenchmarkExtract(b *testing.B) {
	data := string(lockgen.YarnLock(100_000, false))
	for name, e := range map[string]filesystem.Extractor{"secgate": Extractor{}, "osv-scalibr": scalibryarn.Extractor{}} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				inv, err := run(e, data)
				if err != nil || len(inv.Packages) != 100_000 {
					b.Fatal(len(inv.Packages), err)
				}
			}
		})
	}
}
