package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeConfig: any bytes are a configuration or an error, never a
// panic (YAML aliases, deep nesting, odd scalars).
func FuzzDecodeConfig(f *testing.F) {
	f.Add([]byte("fail-on: high\npolicy: [security/policies]\nexclude:\n  - testdata\n"))
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"))
	f.Add([]byte("scanners: {deps: true}\n"))
	f.Add([]byte("max-file-size: 10MB\nno-ignore: true\nmax-layers: 3\n"))
	if data, err := os.ReadFile(filepath.Join(repoRoot, ".secgate.yaml")); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := decodeConfig(data)
		if err != nil {
			return
		}
		for k, vs := range cfg {
			if vs == nil {
				t.Fatalf("key %q without values", k)
			}
		}
	})
}
