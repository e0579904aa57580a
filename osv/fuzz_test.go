package osv

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseRecord: any bytes are an OSV record, no record (it names no
// scanned package) or an error, never a panic; a record returned names a
// wanted package.
func FuzzParseRecord(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "osv", "*", "*.json"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "GARBAGE!!"}]}]}]}`))
	wanted := map[string]bool{}
	for _, k := range [][2]string{{"PyPI", "requests"}, {"Go", "golang.org/x/text"}, {"npm", "lodash"}, {"Debian", "openssl"}, {"crates.io", "smallvec"}} {
		wanted[indexKey(k[0], k[1])] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, v, err := parseRecord(data, wanted)
		if err != nil {
			return
		}
		if (v == nil) != (len(keys) == 0) {
			t.Fatalf("keys %v with record %v", keys, v)
		}
		for _, k := range keys {
			if !wanted[k] {
				t.Fatalf("key %q not wanted", k)
			}
		}
	})
}
