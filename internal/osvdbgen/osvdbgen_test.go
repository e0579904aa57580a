package osvdbgen

import (
	"archive/zip"
	"bytes"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	osvpb "github.com/ossf/osv-schema/bindings/go/osvschema"
	"google.golang.org/protobuf/encoding/protojson"
)

var update = flag.Bool("update", false, "rewrite testdata/osvdb from testdata/osv")

var (
	srcDir = filepath.Join("..", "..", "testdata", "osv")
	dbDir  = filepath.Join("..", "..", "testdata", "osvdb")
)

// TestGolden rebuilds the database and compares it byte for byte with the
// committed zips; with -update it rewrites them first.
func TestGolden(t *testing.T) {
	if *update {
		if err := os.RemoveAll(dbDir); err != nil {
			t.Fatal(err)
		}
		if err := Build(srcDir, dbDir); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", dbDir)
	}
	tmp := t.TempDir()
	if err := Build(srcDir, tmp); err != nil {
		t.Fatal(err)
	}
	want := readTree(t, tmp)
	got := readTree(t, dbDir)
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s is missing from %s; run: go test ./internal/osvdbgen -update", name, dbDir)
		case !bytes.Equal(g, w):
			t.Errorf("%s is stale (differs from a rebuild of %s); run: go test ./internal/osvdbgen -update", name, srcDir)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s/%s has no source ecosystem in %s; run: go test ./internal/osvdbgen -update", dbDir, name, srcDir)
		}
	}
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRecordsLoadAsOSVSchema parses every source record strictly into the OSV
// protobuf binding that osv-scanner's offline matcher uses (protojson, unknown
// fields rejected). A record that fails here would be dropped silently by the
// matcher, so the scanner would miss its advisory.
func TestRecordsLoadAsOSVSchema(t *testing.T) {
	ecos, err := Load(srcDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, eco := range ecos {
		for _, r := range eco.Records {
			var v osvpb.Vulnerability
			if err := protojson.Unmarshal(r.Data, &v); err != nil {
				t.Errorf("%s: %v", r.Path, err)
				continue
			}
			if v.GetModified() == nil {
				t.Errorf("%s: no modified time", r.Path)
			}
		}
	}
}

// TestArchives checks the committed zips: one entry per record, named
// <ID>.json, sorted, holding the source bytes.
func TestArchives(t *testing.T) {
	ecos, err := Load(srcDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, eco := range ecos {
		p := filepath.Join(dbDir, eco.Name, ArchiveName)
		zr, err := zip.OpenReader(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		var names []string
		for i, f := range zr.File {
			names = append(names, f.Name)
			if i >= len(eco.Records) {
				continue
			}
			r := eco.Records[i]
			if f.Name != r.ID+".json" {
				t.Errorf("%s: entry %d is %s, want %s.json", p, i, f.Name, r.ID)
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, r.Data) {
				t.Errorf("%s: %s differs from %s", p, f.Name, r.Path)
			}
		}
		zr.Close()
		if len(names) != len(eco.Records) {
			t.Errorf("%s: %d entries, want %d", p, len(names), len(eco.Records))
		}
		if !sort.StringsAreSorted(names) {
			t.Errorf("%s: entries not sorted: %v", p, names)
		}
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if err := Build(srcDir, a); err != nil {
		t.Fatal(err)
	}
	if err := Build(srcDir, b); err != nil {
		t.Fatal(err)
	}
	ta, tb := readTree(t, a), readTree(t, b)
	if len(ta) != len(tb) {
		t.Fatalf("builds differ in file count: %d vs %d", len(ta), len(tb))
	}
	for k, v := range ta {
		if !bytes.Equal(v, tb[k]) {
			t.Errorf("%s differs between two builds", k)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	const ok = `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}`
	if err := Validate([]byte(ok), "X-1", "npm"); err != nil {
		t.Fatalf("valid record rejected: %v", err)
	}
	cases := map[string]struct{ data, id, eco string }{
		"invalid json":        {`{"id":`, "X-1", "npm"},
		"id mismatch":         {ok, "X-2", "npm"},
		"wrong ecosystem dir": {ok, "X-1", "PyPI"},
		"no modified":         {strings.Replace(ok, `"modified":"2024-01-01T00:00:00Z",`, "", 1), "X-1", "npm"},
		"bad modified":        {strings.Replace(ok, "2024-01-01T00:00:00Z", "yesterday", 1), "X-1", "npm"},
		"no affected":         {`{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[]}`, "X-1", "npm"},
		"no package name":     {strings.Replace(ok, `"name":"a"`, `"name":""`, 1), "X-1", "npm"},
		"no introduced":       {strings.Replace(ok, `{"introduced":"0"},`, "", 1), "X-1", "npm"},
		"unknown range type":  {strings.Replace(ok, `"SEMVER"`, `"SEMVERISH"`, 1), "X-1", "npm"},
		"unknown event":       {strings.Replace(ok, `"fixed"`, `"patched"`, 1), "X-1", "npm"},
		"trailing data":       {ok + "{}", "X-1", "npm"},
	}
	for name, c := range cases {
		if err := Validate([]byte(c.data), c.id, c.eco); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBuildWritesNothingOnInvalidSource(t *testing.T) {
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "npm"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "npm", "X-1.json"), []byte(`{"id":"X-2"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "db")
	if err := Build(src, dst); err == nil {
		t.Fatal("Build accepted an invalid record")
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("Build wrote %s despite invalid sources", dst)
	}
}
