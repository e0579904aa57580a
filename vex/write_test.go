package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	govex "github.com/openvex/go-vex/pkg/vex"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/schematest"
)

// waivedReport is a decided report with findings waived every way, and
// some that are not to be stated.
func waivedReport() *findings.Document {
	byWaiver := textFinding()
	byWaiver.Decision = findings.DecisionWaived
	byWaiver.Waiver = &findings.Waiver{RuleID: "GO-2021-0113", Reason: "language.Parse is only called on constants", Expires: "2027-03-31", Owner: "payments-team"}
	again := byWaiver // the same package in a second module: one product
	again.ID, again.Location.Path = "2", "tools/go.mod"
	byVEX := textFinding()
	byVEX.ID = "3"
	byVEX.RuleID, byVEX.Vulnerability = "GHSA-jf85-cpcp-j695", &findings.Vulnerability{ID: "GHSA-jf85-cpcp-j695", Aliases: []string{"CVE-2019-10744"}, Modified: "2025-01-02T03:04:05Z"}
	byVEX.Package = &findings.Package{Name: "lodash", Version: "4.17.11", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.11"}
	byVEX.Decision = findings.DecisionWaived
	byVEX.VEX = &findings.VEX{Status: findings.VEXNotAffected, Justification: "vulnerable_code_not_in_execute_path", Statement: "defaultsDeep is never called", Source: ".vex/web.json"}
	fixed := byVEX
	fixed.ID = "4"
	fixed.Package = &findings.Package{Name: "lodash", Version: "4.17.10", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.10"}
	fixed.VEX = &findings.VEX{Status: findings.VEXFixed, Statement: "patched in our fork", Source: "bom.cdx.json"}
	inImage := textFinding()
	inImage.ID, inImage.Scanner = "5", findings.ScannerContainer
	inImage.Image = &findings.Image{Ref: "registry.example.com/shop/web:1.4", Path: "/app/server"}
	inImage.Decision = findings.DecisionWaived
	inImage.Waiver = &findings.Waiver{ID: "5", Reason: "the binary is not shipped", Expires: "2026-12-31"}
	denied := textFinding()
	denied.ID, denied.Decision = "6", findings.DecisionDeny
	secret := findings.Finding{ID: "7", Kind: findings.KindSecret, Scanner: findings.ScannerSecrets, RuleID: "aws-access-key-id",
		Severity: findings.SeverityHigh, Decision: findings.DecisionWaived, Waiver: &findings.Waiver{ID: "7", Reason: "test key", Expires: "2026-12-31"}}
	noPURL := textFinding()
	noPURL.ID, noPURL.Decision, noPURL.Package = "8", findings.DecisionWaived, &findings.Package{Name: "x", Version: "1", Ecosystem: "Go"}
	noPURL.Waiver = byWaiver.Waiver
	return &findings.Document{
		SchemaVersion: findings.SchemaVersion,
		Tool:          findings.Tool{Name: "secgate", Version: "test"},
		Findings:      []findings.Finding{byWaiver, again, byVEX, fixed, inImage, denied, secret, noPURL},
		Decision:      &findings.Decision{Result: findings.ResultFail},
	}
}

func render(t *testing.T, v *govex.VEX) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDocument: the waived findings as OpenVEX statements, valid against
// the OpenVEX schema, byte-identical for the same report, and a VEX that
// waives the same findings when read back.
func TestDocument(t *testing.T) {
	doc := waivedReport()
	v, skipped, err := Document(doc, DocumentOptions{Tooling: "secgate test"})
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, v)
	sch := schematest.OpenVEX(t, "..")
	schematest.Validate(t, sch, out)
	// The schema is no rubber stamp: without a justification or an impact
	// statement, a not_affected statement is refused.
	var bad map[string]any
	if err := json.Unmarshal(out, &bad); err != nil {
		t.Fatal(err)
	}
	st := bad["statements"].([]any)[1].(map[string]any)
	delete(st, "justification")
	delete(st, "impact_statement")
	badJSON, _ := json.Marshal(bad)
	if inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(badJSON)); err != nil || sch.Validate(inst) == nil {
		t.Errorf("the schema accepts a not_affected statement without why (%v):\n%s", err, badJSON)
	}
	if len(skipped) != 2 || skipped[0].ID != "7" || skipped[0].Reason != "not a vulnerability" || skipped[1].ID != "8" || skipped[1].Reason != "no package URL" {
		t.Errorf("skipped %+v", skipped)
	}
	if v.Timestamp.Format(time.RFC3339) != "2025-01-02T03:04:05Z" || v.Author != DefaultAuthor || v.Tooling != "secgate test" || v.Version != 1 {
		t.Errorf("metadata %+v, want the report's latest advisory date", v.Metadata)
	}
	if !strings.HasPrefix(v.ID, govex.PublicNamespace+"/public/vex-") {
		t.Errorf("@id %s", v.ID)
	}
	type stmt struct{ vuln, status, justification, impact, notes, products string }
	var got []stmt
	for _, s := range v.Statements {
		var ps []string
		for _, p := range s.Products {
			l := p.ID
			for _, sub := range p.Subcomponents {
				l += " > " + sub.ID
			}
			ps = append(ps, l)
		}
		var aliases []string
		for _, a := range s.Vulnerability.Aliases {
			aliases = append(aliases, string(a))
		}
		got = append(got, stmt{string(s.Vulnerability.Name) + " " + strings.Join(aliases, ","), string(s.Status), string(s.Justification), s.ImpactStatement, s.StatusNotes, strings.Join(ps, " | ")})
	}
	want := []stmt{
		{"GHSA-jf85-cpcp-j695 CVE-2019-10744", "fixed", "", "", "from VEX document bom.cdx.json: patched in our fork", "pkg:npm/lodash@4.17.10"},
		{"GHSA-jf85-cpcp-j695 CVE-2019-10744", "not_affected", "vulnerable_code_not_in_execute_path", "defaultsDeep is never called", "from VEX document .vex/web.json", "pkg:npm/lodash@4.17.11"},
		{"GO-2021-0113 CVE-2021-38561,GHSA-ppp9-7jff-5vj2", "not_affected", "inline_mitigations_already_exist", "language.Parse is only called on constants", "accepted by a secgate waiver until 2027-03-31, owner payments-team", "pkg:golang/golang.org/x/text@0.3.5"},
		{"GO-2021-0113 CVE-2021-38561,GHSA-ppp9-7jff-5vj2", "not_affected", "inline_mitigations_already_exist", "the binary is not shipped", "accepted by a secgate waiver until 2026-12-31",
			"pkg:oci/web?repository_url=registry.example.com%2Fshop%2Fweb&tag=1.4 > pkg:golang/golang.org/x/text@0.3.5"},
	}
	if len(got) != len(want) {
		t.Fatalf("statements\n%+v\nwant\n%+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("statement %d\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}

	// Deterministic: the same report, the same bytes; another content,
	// another @id.
	v2, _, err := Document(waivedReport(), DocumentOptions{Tooling: "secgate test"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(render(t, v2), out) {
		t.Error("two documents of the same report differ")
	}
	other := waivedReport()
	other.Findings[0].Waiver.Reason = "another reason"
	v3, _, err := Document(other, DocumentOptions{Tooling: "secgate test"})
	if err != nil {
		t.Fatal(err)
	}
	if v3.ID == v.ID {
		t.Error("another content, the same @id")
	}

	// Round trip: read back, the document waives the same findings.
	stmts, err := Parse("out.json", out)
	if err != nil {
		t.Fatal(err)
	}
	s := &Set{byVuln: map[string][]*Statement{}}
	s.add(0, stmts)
	again := waivedReport()
	s.Apply(again, nil)
	for i, f := range again.Findings {
		statable := doc.Findings[i].Decision == findings.DecisionWaived && f.Kind == findings.KindVulnerability && f.Package.PURL != ""
		waives := f.VEX != nil && (f.VEX.Status == findings.VEXNotAffected || f.VEX.Status == findings.VEXFixed)
		if f.ID == "6" { // the same package as the waived ones: the statement covers it too
			statable = true
		}
		if statable != waives {
			t.Errorf("finding %s (%s): VEX %+v after the round trip", f.ID, doc.Findings[i].Decision, f.VEX)
		}
	}
}

func TestDocumentErrors(t *testing.T) {
	if _, _, err := Document(&findings.Document{}, DocumentOptions{}); err == nil || !strings.Contains(err.Error(), "no decision") {
		t.Errorf("undecided: %v", err)
	}
	doc := waivedReport()
	if _, _, err := Document(doc, DocumentOptions{Justification: "trust_me"}); err == nil || !strings.Contains(err.Error(), `justification "trust_me"`) {
		t.Errorf("bad justification: %v", err)
	}
	for i := range doc.Findings {
		doc.Findings[i].Vulnerability = &findings.Vulnerability{ID: doc.Findings[i].RuleID}
	}
	if _, _, err := Document(doc, DocumentOptions{}); err == nil || !strings.Contains(err.Error(), "no advisory date") {
		t.Errorf("no date: %v", err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 3600))
	v, _, err := Document(doc, DocumentOptions{Timestamp: at, Justification: "component_not_present", Author: "me"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Timestamp.Format(time.RFC3339Nano) != "2026-01-02T02:04:05Z" || v.Author != "me" || v.Statements[2].Justification != "component_not_present" {
		t.Errorf("options not applied: %+v %+v", v.Metadata, v.Statements[2])
	}
	for i := range doc.Findings {
		if doc.Findings[i].Decision == findings.DecisionWaived {
			doc.Findings[i].Decision = findings.DecisionDeny
		}
	}
	if _, _, err := Document(doc, DocumentOptions{}); !errors.Is(err, ErrNothingWaived) {
		t.Errorf("nothing waived: %v", err)
	}
}
