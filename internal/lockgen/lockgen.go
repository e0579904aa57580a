// Package lockgen generates large, realistic lockfiles for tests and
// benchmarks.
package lockgen

import (
	"bytes"
	"fmt"
	"strings"
)

// PackageLock returns a lockfile v3 with n packages, a third of them nested.
func PackageLock(n int) []byte {
	var b bytes.Buffer
	b.WriteString("{\n  \"name\": \"big\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"name\": \"big\"\n    }")
	for i := range n {
		key := fmt.Sprintf("node_modules/pkg-%d", i)
		if i%3 == 2 {
			key = fmt.Sprintf("node_modules/pkg-%d/node_modules/@scope/dep-%d", i-1, i)
		}
		fmt.Fprintf(&b, ",\n    %q: {\n      \"version\": \"%d.%d.%d\",\n      \"resolved\": \"https://registry.npmjs.org/%s/-/x-%d.tgz\",\n      \"integrity\": \"sha512-%s\",\n      \"dev\": %v,\n      \"dependencies\": {\n        \"pkg-%d\": \"^1.0.0\"\n      }\n    }",
			key, i%7, i%13, i%5, strings.TrimPrefix(key, "node_modules/"), i, strings.Repeat("A", 86), i%4 == 0, (i+1)%n)
	}
	b.WriteString("\n  }\n}\n")
	return b.Bytes()
}
