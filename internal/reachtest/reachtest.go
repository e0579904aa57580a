// Package reachtest builds the Go programs of testdata/reach for tests of
// reachability: each a module of its own requiring golang.org/x/text
// v0.3.5, vendored from testdata/reach/xtext so that no test downloads a
// module.
package reachtest

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/secgate/secgate/internal/osvdbgen"
)

// Testdata is testdata/reach.
func Testdata(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("reachtest: no caller")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "reach")
}

// OfflineDB builds an offline database (DIR/<Ecosystem>/all.zip) of the
// records of testdata/osv and GO-2022-1059, and returns its directory.
func OfflineDB(t testing.TB) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "osv")
	copyTree(t, filepath.Join(Testdata(t), "..", "osv"), src)
	b, err := os.ReadFile(filepath.Join(Testdata(t), "GO-2022-1059.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "Go", "GO-2022-1059.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "osvdb")
	if err := osvdbgen.Build(src, db); err != nil {
		t.Fatal(err)
	}
	return db
}

// Module copies program ("accept" or "english") with the vendored
// golang.org/x/text into a new directory under dir (t.TempDir() when dir is
// "") and returns the module's directory.
func Module(t testing.TB, program string) string {
	t.Helper()
	return ModuleIn(t, t.TempDir(), program)
}

// ModuleIn is Module into dir/program.
func ModuleIn(t testing.TB, dir, program string) string {
	t.Helper()
	src := Testdata(t)
	dst := filepath.Join(dir, program)
	copyTree(t, filepath.Join(src, program), dst)
	vendor := filepath.Join(dst, "vendor")
	copyTree(t, filepath.Join(src, "xtext"), filepath.Join(vendor, "golang.org", "x", "text"))
	// The module's Go files are kept as NAME.go.src, so that the
	// repository's tools (gofmt, vet) do not take them for its own code.
	err := filepath.WalkDir(vendor, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go.src") {
			err = os.Rename(p, strings.TrimSuffix(p, ".src"))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(vendor, "golang.org", "x", "text", "modules.txt"), filepath.Join(vendor, "modules.txt")); err != nil {
		t.Fatal(err)
	}
	return dst
}

// Build builds the module in dir, offline, and returns the binary's path.
func Build(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(dir))
	cmd := exec.Command("go", "build", "-mod=vendor", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=vendor", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", dir, err, out)
	}
	return bin
}

func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
