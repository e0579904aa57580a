package npmlock

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/secgate/secgate/internal/lockgen"
)

// FuzzParse: any bytes are a lockfile or an error, never a panic; every
// package found has a name and a line inside the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte(v3))
	f.Add([]byte(v1))
	f.Add(lockgen.PackageLock(5))
	f.Add([]byte(`{"lockfileVersion": 2, "packages": {"node_modules/\u0000": {"version": "1"}}}`))
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "*", "*", "package-lock.json"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := Parse(data)
		if err != nil {
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, p := range pkgs {
			if p.Line < 0 || p.Line > lines {
				t.Fatalf("%s at line %d of %d", p.Name, p.Line, lines)
			}
		}
	})
}
