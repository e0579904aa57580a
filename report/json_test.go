package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/schematest"
)

func TestJSONValidatesAgainstFindingsSchema(t *testing.T) {
	sch := schematest.Findings(t)

	nilLists := sampleDocument()
	nilLists.Scans = nil
	for i := range nilLists.Findings {
		if v := nilLists.Findings[i].Vulnerability; v != nil {
			v.Aliases, v.FixedVersions, v.References = nil, nil, nil
		}
	}
	nilLists.Decision.Deny, nilLists.Decision.Warn = nil, nil

	docs := map[string]*findings.Document{
		"sample":    sampleDocument(),
		"nil lists": nilLists,
		"empty":     {SchemaVersion: findings.SchemaVersion, Tool: findings.Tool{Name: "secgate"}},
		"passed":    {SchemaVersion: findings.SchemaVersion, Decision: &findings.Decision{Result: findings.ResultPass}},
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			out := render(t, FormatJSON, Options{}, doc)
			schematest.Validate(t, sch, out)
			if bytes.Contains(out, []byte("null")) {
				t.Errorf("output contains null:\n%s", out)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	doc := sampleDocument()
	out := render(t, FormatJSON, Options{}, doc)
	if !strings.HasSuffix(string(out), "}\n") || !strings.HasPrefix(string(out), "{\n  \"schema_version\": 1,") {
		t.Errorf("unexpected framing:\n%s", out)
	}
	var back findings.Document
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Findings) != len(doc.Findings) || back.Decision == nil || len(back.Decision.Deny) != len(doc.Decision.Deny) {
		t.Errorf("round trip lost data: %+v", back)
	}
	// HTML characters are written as is.
	doc.Findings[0].Title = "a <b> & c"
	if out := render(t, FormatJSON, Options{}, doc); !bytes.Contains(out, []byte(`"a <b> & c"`)) {
		t.Errorf("HTML characters escaped:\n%s", out)
	}
}
