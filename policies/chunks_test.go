package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/secgate/secgate/findings"
)

// oneEvaluation returns a copy of e that decides every document with OPA's
// evaluator in one evaluation, as Decide does for policies other than the
// defaults (and did for every policy before plans and chunks).
func oneEvaluation(e *Engine) *Engine {
	old := *e
	old.planned = nil
	return &old
}

// varied is syntheticDocument(n) with what it lacks: findings already in
// the baseline, low-confidence secrets, secrets from history, unknown
// severities, findings without a line or a package, skipped files, Go
// reachability of every status, VEX statements of every status (one on a
// finding a waiver also accepts).
func varied(n int) *findings.Document {
	doc := syntheticDocument(n)
	for i := range doc.Findings {
		f := &doc.Findings[i]
		switch {
		case i%13 == 0:
			f.Baseline = "existing"
		case i%17 == 0:
			f.Severity = findings.SeverityUnknown
		case i%19 == 0:
			f.Location.Line = 0
			f.Package = nil
		}
		if f.Kind == findings.KindVulnerability && i%3 != 0 {
			statuses := []string{findings.ReachCalled, findings.ReachImported, findings.ReachRequired, findings.ReachUnknown}
			f.Reachability = &findings.Reachability{Status: statuses[i%4], Mode: findings.ReachSource, Symbols: []string{"language.Parse"}}
		}
		if i%7 == 2 || i == 5 {
			statuses := []string{findings.VEXNotAffected, findings.VEXAffected, findings.VEXFixed, findings.VEXUnderInvestigation}
			f.VEX = &findings.VEX{Status: statuses[(i/7)%len(statuses)], Source: ".vex/app.json"}
			if f.VEX.Status == findings.VEXNotAffected {
				f.VEX.Justification, f.VEX.Statement = "vulnerable_code_not_in_execute_path", "never called"
			}
		}
		// Exploitation data (values shaped as the real ones of
		// testdata/exploits): in KEV with and without a ransomware
		// campaign, EPSS scores across the range.
		if v := f.Vulnerability; v != nil {
			cve := fmt.Sprintf("CVE-2024-%05d", i)
			if i%11 == 0 {
				v.KEV = &findings.KEV{CVE: cve, DateAdded: fmt.Sprintf("2025-01-%02d", i%28+1), DueDate: "2025-02-13", KnownRansomware: i%2 == 0}
			}
			if i%5 == 0 {
				v.EPSS = &findings.EPSS{CVE: cve, Score: float64(i%100) / 100, Percentile: float64(i%97) / 97, Date: "2026-09-29"}
			}
		}
		if f.Kind == findings.KindSecret {
			switch i % 3 {
			case 0:
				f.Secret = &findings.Secret{Redacted: "AKIA****", Confidence: "low"}
			case 1:
				f.Secret = &findings.Secret{Redacted: "AKIA****", Confidence: "high"}
				f.Commit = &findings.Commit{SHA: fmt.Sprintf("%040x", i)}
			}
		}
	}
	doc.Scans = append(doc.Scans, findings.Scan{Scanner: "secrets", Target: ".", Stats: map[string]int{"skipped_binary": 3, "skipped_too_large": 1}})
	return doc
}

// variedWaivers accept findings of varied(n) by id, by rule under a path,
// by package; one has expired and one matches nothing.
func variedWaivers(doc *findings.Document) []findings.Waiver {
	return []findings.Waiver{
		{ID: doc.Findings[5].ID, Reason: "r", Expires: "2099-12-31"},
		{ID: doc.Findings[len(doc.Findings)-3].ID, Reason: "r", Expires: "2099-12-31"},
		{RuleID: "DS002", Path: "services/svc-01*/**", Reason: "r", Expires: "2099-12-31", Owner: "team"},
		{RuleID: "aws-access-key-id", Reason: "r", Expires: "2099-12-31"},
		{RuleID: "GO-2024-0001", Package: "github.com/example-org/module-1", Reason: "r", Expires: "2099-12-31"},
		{RuleID: "GO-2024-0002", Reason: "expired", Expires: "2020-01-01"},
		{ID: "no-such-finding", Reason: "stale", Expires: "2099-12-31"},
	}
}

// sameVerdicts fails unless OPA's evaluator, in one evaluation, and e's
// plan, in chunks of e.planned.chunkLen findings, decide doc the same: the
// decision byte for byte as JSON, and every finding's outcome. The plan
// must decide on its own (Decide falls back to OPA's evaluator when it
// cannot).
func sameVerdicts(t *testing.T, e *Engine, doc *findings.Document) {
	t.Helper()
	ctx := context.Background()
	if e.planned == nil {
		t.Fatal("engine does not evaluate the plan")
	}
	if _, err := e.planned.decide(ctx, doc); err != nil {
		t.Fatalf("the plan cannot decide: %v", err)
	}
	want, err := oneEvaluation(e).Decide(ctx, doc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Decide(ctx, doc)
	if err != nil {
		t.Fatal(err)
	}
	wj, _ := json.Marshal(want.Decision)
	gj, _ := json.Marshal(got.Decision)
	if !bytes.Equal(wj, gj) {
		t.Fatalf("chunk size %d: decisions differ (%d vs %d bytes; deny %d/%d warn %d/%d waived %d/%d)", e.planned.chunkLen, len(wj), len(gj),
			len(want.Deny), len(got.Deny), len(want.Warn), len(got.Warn), len(want.Waived), len(got.Waived))
	}
	for _, f := range doc.Findings {
		wd, ww := want.Outcome(f.ID)
		gd, gw := got.Outcome(f.ID)
		if wd != gd || (ww == nil) != (gw == nil) || (ww != nil && *ww != *gw) {
			t.Fatalf("finding %s: %s %v, plan %s %v", f.ID, wd, ww, gd, gw)
		}
	}
	if len(want.Deny)+len(want.Warn) == 0 {
		t.Fatal("nothing decided: the comparison proves nothing")
	}
}

// TestPlanDecidesAsOPA: the plan of the default policies, evaluated in one
// go and in chunks of findings, decides the test corpus and generated
// documents (the benchmark's shape) exactly as OPA's evaluator does, under
// each setting and with waivers.
func TestPlanDecidesAsOPA(t *testing.T) {
	ctx := context.Background()
	var sample findings.Document
	raw, err := os.ReadFile("../report/testdata/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	configs := []Options{
		{},
		{Data: map[string]any{"secgate": map[string]any{"config": map[string]any{"fail_on": "medium", "unknown_severity": "warn"}}}},
		{Data: map[string]any{"secgate": map[string]any{"config": map[string]any{"fail_on": "critical"}}}},
		{Data: map[string]any{"secgate": map[string]any{"config": map[string]any{"deny_kev": false, "min_epss": 0.5, "ignore_unfixed": true}}}},
		{Data: map[string]any{"secgate": map[string]any{"config": map[string]any{"fail_on": "critical", "min_epss": 0.2, "unknown_severity": "warn"}}}},
	}
	docs := map[string]*findings.Document{"sample.json": &sample, "varied(600)": varied(600), "synthetic(500)": syntheticDocument(500)}
	for name, doc := range docs {
		for ci, opts := range configs {
			for _, waivers := range []bool{false, true} {
				opts := opts
				if waivers {
					opts.Waivers, opts.Today = variedWaivers(varied(600)), "2026-01-01"
					if name == "sample.json" {
						opts.Waivers = append(opts.Waivers, findings.Waiver{ID: sample.Findings[0].ID, Reason: "r", Expires: "2099-12-31"})
					}
				}
				e, err := New(ctx, opts)
				if err != nil {
					t.Fatal(err)
				}
				for _, size := range []int{1, 7, 100, chunkSize} {
					if size == 1 && len(doc.Findings) > 100 {
						continue
					}
					t.Run(fmt.Sprintf("%s/config%d/waivers=%v/chunk%d", name, ci, waivers, size), func(t *testing.T) {
						e.planned.chunkLen = size
						sameVerdicts(t, e, doc)
					})
				}
			}
		}
	}
}

// TestPlanDecidesAsOPA100k is the same check on the decision benchmark's
// 100,000-finding document. It takes minutes (OPA's evaluator over that
// document is the slow path the plan replaces), so it runs only with
// SECGATE_DECIDE_100K=1.
func TestPlanDecidesAsOPA100k(t *testing.T) {
	if os.Getenv("SECGATE_DECIDE_100K") != "1" {
		t.Skip("set SECGATE_DECIDE_100K=1 to compare the two paths on 100,000 findings (minutes)")
	}
	ctx := context.Background()
	doc := syntheticDocument(100_000)
	// Waivers by id: over 100,000 findings one evaluation takes tens of
	// seconds per waiver that names a rule.
	opts := Options{Waivers: variedWaivers(doc)[:2], Today: "2026-01-01", Timeout: 10 * time.Minute}
	for _, o := range []Options{{Timeout: 10 * time.Minute}, opts} {
		e, err := New(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		sameVerdicts(t, e, doc)
	}
}

// TestPlanOnlyForDefaults: a team policy, a replaced waivers package or no
// defaults means OPA's evaluator; findings that share an id mean one
// evaluation of the plan.
func TestPlanOnlyForDefaults(t *testing.T) {
	ctx := context.Background()
	modules, err := LoadModules("", []string{examplesDir})
	if err != nil {
		t.Fatal(err)
	}
	data, err := LoadData("", []string{examplesDir})
	if err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string]Options{
		"examples":             {Modules: modules, Data: data},
		"examples, no default": {Modules: modules, Data: data, NoDefaults: true},
		"no default":           {NoDefaults: true, Modules: map[string]string{"p.rego": "package secgate.p\n\ndeny contains {\"msg\": \"x\"} if count(input.findings) > 3\n"}},
	} {
		e, err := New(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if e.planned != nil {
			t.Errorf("%s: evaluated from the plan", name)
		}
	}
	// OPA's evaluator with the example policies, on a document where a
	// cross-finding rule fires.
	e, err := New(ctx, Options{Modules: modules, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	doc := varied(5000)
	v, err := e.Decide(ctx, doc)
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.planned == nil {
		t.Fatal("defaults alone are not evaluated from the plan")
	}
	if len(v.Deny) == 0 {
		t.Fatal("no deny results with the examples")
	}
	dup := varied(5000)
	dup.Findings[4000].ID = dup.Findings[3].ID
	d.planned.chunkLen = 100
	want, err := oneEvaluation(d).Decide(ctx, dup)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Decide(ctx, dup)
	if err != nil {
		t.Fatal(err)
	}
	wj, _ := json.Marshal(want.Decision)
	gj, _ := json.Marshal(got.Decision)
	if !bytes.Equal(wj, gj) {
		t.Fatal("duplicate ids: decisions differ")
	}
}
