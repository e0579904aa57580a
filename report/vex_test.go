package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/schematest"
)

// vexWaivedDocument is sampleDocument with its waived finding waived by a
// VEX statement instead of a waiver.
func vexWaivedDocument(t *testing.T) (*findings.Document, findings.Finding) {
	t.Helper()
	doc := sampleDocument()
	for i := range doc.Findings {
		if f := &doc.Findings[i]; f.Decision == findings.DecisionWaived {
			f.Waiver = nil
			f.VEX = &findings.VEX{
				Status:        findings.VEXNotAffected,
				Justification: "vulnerable_code_not_in_execute_path",
				Statement:     "defaultsDeep is never called",
				Source:        ".vex/web.openvex.json",
			}
			return doc, *f
		}
	}
	t.Fatal("the sample has no waived finding")
	return nil, findings.Finding{}
}

// TestVEXWaivedInEveryFormat: a finding waived by its VEX statement shows
// as waived, with the statement's status, justification, text and
// document, in every format; in SARIF as an accepted external suppression
// (validated against the OASIS schema), in GitLab's reports valid against
// their schema.
func TestVEXWaivedInEveryFormat(t *testing.T) {
	doc, waived := vexWaivedDocument(t)
	const text = "VEX not_affected (vulnerable_code_not_in_execute_path): defaultsDeep is never called (.vex/web.openvex.json)"
	for _, tt := range []struct {
		format string
		want   []string
	}{
		{FormatTable, []string{"waived ", "Waived findings:", "GHSA-jf85-cpcp-j695  lodash@4.17.11: " + text}},
		{FormatMarkdown, []string{"1 waived", "**Waived findings**", mdEscape(text)}},
		{FormatJUnit, []string{`<skipped message="waived: ` + text + `"`}},
		{FormatGitLab, []string{"secgate decision: waived.", "- waived: " + text}},
		{FormatSARIF, []string{"Waived: " + text}},
	} {
		t.Run(tt.format, func(t *testing.T) {
			out := string(render(t, tt.format, Options{}, doc))
			for _, w := range tt.want {
				if tt.format == FormatGitLab {
					w = strings.ReplaceAll(jsonString(w), `"`, "") // in a JSON string
				}
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	schematest.Validate(t, gitlabSchema(t, FormatGitLab), render(t, FormatGitLab, Options{}, doc))

	out := render(t, FormatSARIF, Options{}, doc)
	schematest.Validate(t, schematest.SARIF(t, ".."), out)
	r := resultFor(t, parseSARIF(t, out).Runs[0].Results, waived.ID)
	if r.Level != "note" {
		t.Errorf("level %q, want note", r.Level)
	}
	want := sarifSuppressionJSON{
		Kind: "external", Status: "accepted",
		Justification: "vulnerable_code_not_in_execute_path: defaultsDeep is never called",
		Properties:    map[string]string{"vexJustification": "vulnerable_code_not_in_execute_path", "vexSource": ".vex/web.openvex.json", "vexStatus": "not_affected"},
	}
	if r.Suppressions == nil || len(*r.Suppressions) != 1 {
		t.Fatalf("suppressions %v, want one", r.Suppressions)
	}
	if got := (*r.Suppressions)[0]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("suppression %+v\nwant        %+v", got, want)
	}

	// A statement without justification or text (CycloneDX allows it)
	// still justifies the suppression.
	for i := range doc.Findings {
		if doc.Findings[i].VEX != nil {
			doc.Findings[i].VEX = &findings.VEX{Status: findings.VEXFixed, Source: "bom.cdx.json"}
		}
	}
	r = resultFor(t, parseSARIF(t, render(t, FormatSARIF, Options{}, doc)).Runs[0].Results, waived.ID)
	if s := (*r.Suppressions)[0]; s.Justification != "the VEX statement says fixed" || s.Properties["vexStatus"] != "fixed" {
		t.Errorf("suppression %+v", s)
	}
	if out := string(render(t, FormatTable, Options{}, doc)); !strings.Contains(out, "lodash@4.17.11: VEX fixed (bom.cdx.json)") {
		t.Errorf("table:\n%s", out)
	}

	// A waiver, when there is one, is what the reports show.
	doc = sampleDocument()
	for i := range doc.Findings {
		if doc.Findings[i].Waiver != nil {
			doc.Findings[i].VEX = &findings.VEX{Status: findings.VEXNotAffected, Statement: "s", Source: "v.json"}
		}
	}
	if out := string(render(t, FormatTable, Options{}, doc)); strings.Contains(out, "VEX") || !strings.Contains(out, "defaultsDeep is never called with untrusted input") {
		t.Errorf("waiver and VEX: the table does not show the waiver alone:\n%s", out)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
