package gate

import (
	"testing"

	"github.com/secgate/secgate/scanners"
	"github.com/secgate/secgate/scanners/secrets"
)

// FuzzParseBaseline: any bytes are a baseline or an error, never a panic,
// whatever the findings hold (container identities read image, package
// and secret fields that may be absent).
func FuzzParseBaseline(f *testing.F) {
	f.Add([]byte(`{"schema_version": 2, "tool": {"name": "secgate", "version": "x"}, "scans": [], "findings": [{"id": "a", "kind": "secret", "scanner": "container", "rule_id": "r", "title": "", "severity": "high", "location": {"path": "p"}, "image": {"ref": "app", "path": "/p"}, "secret": {"redacted": "", "confidence": "high", "fingerprint": "0123456789abcdef0123456789abcdef"}}]}`))
	f.Add([]byte(`{"schema_version": 2, "findings": [{"scanner": "container", "kind": "misconfiguration"}]}`))
	f.Add([]byte(`{"schema_version": 3}`))
	identity := identities(Options{}.types(scanners.Env{}, secrets.NewRuleSource("", "")))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parseBaseline("fuzz.json", data, identity)
		if err == nil && b == nil {
			t.Fatal("no baseline and no error")
		}
	})
}
