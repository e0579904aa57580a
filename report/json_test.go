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
	nilLists.Decision.Deny, nilLists.Decision.Warn, nilLists.Decision.Waived = nil, nil, nil

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
	if !strings.HasSuffix(string(out), "}\n") || !strings.HasPrefix(string(out), "{\n  \"schema_version\": 2,") {
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

// TestJSONWaived: a waived finding keeps its waiver, decision.waived is
// written sorted and as [] when empty, and rule metadata is kept.
func TestJSONWaived(t *testing.T) {
	doc := shuffled(sampleDocument(), 3)
	doc.Decision.Waived = append(doc.Decision.Waived, findings.PolicyResult{Msg: "another", ID: "00000000000000000000000000000000", Policy: "p"})
	var back findings.Document
	if err := json.Unmarshal(render(t, FormatJSON, Options{}, doc), &back); err != nil {
		t.Fatal(err)
	}
	var waived []findings.Finding
	for _, f := range back.Findings {
		if f.Decision == findings.DecisionWaived {
			waived = append(waived, f)
		} else if f.Waiver != nil {
			t.Errorf("finding %s (%s) has a waiver", f.ID, f.Decision)
		}
	}
	if len(waived) != 1 || waived[0].Waiver == nil || waived[0].Waiver.Reason == "" || waived[0].Waiver.Expires != "2026-06-30" || waived[0].Waiver.Owner != "web-team@example.com" {
		t.Errorf("waived findings %+v", waived)
	}
	if w := back.Decision.Waived; len(w) != 2 || w[0].Msg != "another" || w[1].ID != waived[0].ID {
		t.Errorf("decision.waived %+v", w)
	}
	var rule *findings.RuleMeta
	for _, r := range back.Decision.Deny {
		if r.Rule != nil {
			rule = r.Rule
		}
	}
	if rule == nil || rule.ID != "ACME-001" || rule.Severity != "high" || rule.Remediation == "" {
		t.Errorf("deny rule metadata %+v", rule)
	}

	doc.Decision.Waived = nil
	if out := render(t, FormatJSON, Options{}, doc); !bytes.Contains(out, []byte(`"waived": []`)) {
		t.Errorf("nil decision.waived not written as []:\n%s", out)
	}
}
