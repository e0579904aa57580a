package policies

import (
	"context"
	"testing"

	"github.com/secgate/secgate/findings"
)

// withVEX is vuln(id, high) with a VEX statement of the status.
func withVEX(id, status string) findings.Finding {
	f := vuln(id, findings.SeverityHigh)
	if status != "" {
		f.VEX = &findings.VEX{Status: status, Source: ".vex/app.json"}
	}
	return f
}

// TestVEXInDecide: the default secgate.vex waives not_affected and fixed,
// with or without waivers, from the plan as from OPA's evaluator; the
// finding has no waiver (its VEX says why); a waiver that also accepts the
// finding is the one recorded; secgate.vex stays with
// --no-default-policies and when a team replaces secgate.waivers; a team's
// own secgate.vex weighs VEX its way.
func TestVEXInDecide(t *testing.T) {
	ctx := context.Background()
	doc := func() *findings.Document {
		return document(
			withVEX("na", findings.VEXNotAffected), withVEX("fx", findings.VEXFixed),
			withVEX("af", findings.VEXAffected), withVEX("ui", findings.VEXUnderInvestigation),
			withVEX("none", ""), withVEX("both", findings.VEXNotAffected),
		)
	}
	byDefault := map[string]string{"na": "waived", "fx": "waived", "af": "deny", "ui": "deny", "none": "deny", "both": "waived"}
	vulnerabilities, err := defaultFS.ReadFile("default/vulnerabilities.rego")
	if err != nil {
		t.Fatal(err)
	}
	lib, err := defaultFS.ReadFile("default/lib.rego")
	if err != nil {
		t.Fatal(err)
	}
	defaultsButPolicies := map[string]string{"vulnerabilities.rego": string(vulnerabilities), "lib.rego": string(lib)}
	ownWaivers := map[string]string{"vulnerabilities.rego": string(vulnerabilities), "lib.rego": string(lib),
		"waivers.rego": "package secgate.waivers\n\nwaived := {}\n"}
	ownVEX := map[string]string{"vulnerabilities.rego": string(vulnerabilities), "lib.rego": string(lib),
		"vex.rego": "package secgate.vex\n\nwaived contains f.id if {\n\tsome f in input.findings\n\tf.vex.status in {\"not_affected\", \"under_investigation\"}\n}\n"}
	waiver := []findings.Waiver{{ID: "both", Reason: "behind the proxy", Expires: "2099-12-31"}}
	tests := []struct {
		name      string
		opts      Options
		decisions map[string]string
		result    string
	}{
		{"defaults", Options{}, byDefault, findings.ResultFail},
		{"defaults and a waiver", Options{Waivers: waiver, Today: "2026-01-01"}, byDefault, findings.ResultFail},
		{"no default policies", Options{NoDefaults: true, Modules: defaultsButPolicies}, byDefault, findings.ResultFail},
		{"a team's secgate.waivers", Options{NoDefaults: true, Modules: ownWaivers}, byDefault, findings.ResultFail},
		{"a team's secgate.vex", Options{NoDefaults: true, Modules: ownVEX},
			map[string]string{"na": "waived", "fx": "deny", "af": "deny", "ui": "waived", "none": "deny", "both": "waived"}, findings.ResultFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			engines := []*Engine{e}
			if e.planned != nil {
				engines = append(engines, oneEvaluation(e))
			}
			for _, e := range engines {
				d := doc()
				v, err := e.Decide(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				v.Apply(d)
				if got := decisions(d); !equalMaps(got, tt.decisions) {
					t.Errorf("plan %v: decisions %v, want %v", e.planned != nil, got, tt.decisions)
				}
				if d.Decision.Result != tt.result {
					t.Errorf("result %s, want %s", d.Decision.Result, tt.result)
				}
				for _, f := range d.Findings {
					switch {
					case f.ID == "both" && tt.opts.Waivers != nil:
						if f.Waiver == nil || f.Waiver.Reason != "behind the proxy" {
							t.Errorf("both: waiver %+v, want the waiver's", f.Waiver)
						}
					case f.Waiver != nil:
						t.Errorf("%s: waived by VEX, yet a waiver %+v", f.ID, f.Waiver)
					}
				}
			}
		})
	}
	d := document(withVEX("na", findings.VEXNotAffected))
	d.Findings = append(d.Findings, withVEX("af", findings.VEXAffected))
	d.Findings[1].Severity = findings.SeverityLow // warns: VEX waives warnings too
	d.Findings[1].VEX.Status = findings.VEXFixed
	e, err := New(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.Decide(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if v.Result != findings.ResultPass || len(v.Deny)+len(v.Warn) != 0 || len(v.Waived) != 2 {
		t.Errorf("deny %v warn %v waived %v, want both results waived", v.Deny, v.Warn, v.Waived)
	}
}

// TestPlanSkipsVEXWithoutStatements: the plan evaluates secgate.vex.waived
// only when a finding has a VEX statement, and then in every chunk.
func TestPlanSkipsVEXWithoutStatements(t *testing.T) {
	ctx := context.Background()
	e, err := New(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if e.planned == nil || len(e.planned.all) != len(e.planned.noVEXAll)+1 || len(e.planned.chunk) != len(e.planned.noVEXChunk)+1 {
		t.Fatalf("the plan does not hold secgate.vex.waived once: %+v", e.planned)
	}
	doc := syntheticDocument(300)
	e.planned.chunkLen = 64
	raw, err := e.planned.decide(ctx, doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.vexWaived) != 0 {
		t.Errorf("waived by VEX without statements: %v", raw.vexWaived)
	}
	last := &doc.Findings[len(doc.Findings)-1] // in the last chunk
	last.VEX = &findings.VEX{Status: findings.VEXNotAffected, Source: "x.json"}
	if raw, err = e.planned.decide(ctx, doc); err != nil {
		t.Fatal(err)
	}
	if len(raw.vexWaived) != 1 || !raw.vexWaived[last.ID] {
		t.Errorf("waived by VEX %v, want %s", raw.vexWaived, last.ID)
	}
}
