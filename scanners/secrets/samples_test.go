package secrets

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
)

var samplesTable = flag.String("samples-table", "", "write the per-rule recall table of TestGitleaksSamples to this file")

// sampleCorpus is testdata/gitleaks-samples/samples.json (see its README).
type sampleCorpus struct {
	Gitleaks string `json:"gitleaks"`
	Rules    []struct {
		ID  string   `json:"id"`
		TPs []sample `json:"tps"`
		FPs []sample `json:"fps"`
	} `json:"rules"`
}

type sample struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// seen is what a finding says, for comparing two scanners' findings.
type seen struct {
	rule, secret string
	line, column int
}

func seenOf(fs []report.Finding) []seen {
	out := make([]seen, 0, len(fs))
	for _, f := range fs {
		out = append(out, seen{f.RuleID, f.Secret, f.StartLine, f.StartColumn})
	}
	slices.SortFunc(out, func(a, b seen) int {
		return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.column, b.column), cmp.Compare(a.rule, b.rule), cmp.Compare(a.secret, b.secret))
	})
	return slices.Compact(out)
}

// TestGitleaksSamples scans every sample gitleaks validates its default
// rules with (6,396 true positives, 374 false positives of 220 rules) with
// secgate's engine and with gitleaks' own detector holding its default
// configuration, and asserts that the findings are the same on every
// sample: the same rules, secrets, lines and columns. Per rule, that is
// secgate's recall where gitleaks has it, and no finding on a false
// positive gitleaks does not report either.
func TestGitleaksSamples(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "gitleaks-samples", "samples.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c sampleCorpus
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	gitleaks, err := detect.NewDetectorDefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	gitleaks.MaxDecodeDepth = maxDecodeDepth // the gitleaks CLI's default
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	engine := NewEngine(rules)
	ctx := context.Background()

	scan := func(s sample) (theirs, ours []seen) {
		// The gitleaks CLI hands a file to its detector as fragments
		// starting at line 1; columns after a fragment's first line are
		// made 1-based as secgate's (detectIn).
		theirs = seenOf(detectIn(ctx, gitleaks, detect.Fragment{Raw: s.Content, FilePath: s.Path, StartLine: 1}))
		return theirs, seenOf(engine.Detect(ctx, Blob{Path: s.Path, Content: []byte(s.Content), StartLine: 1}, nil))
	}
	has := func(fs []seen, rule string) bool {
		return slices.ContainsFunc(fs, func(s seen) bool { return s.rule == rule })
	}

	var table strings.Builder
	fmt.Fprintf(&table, "| rule | true positives | found by gitleaks %s | found by secgate | false positives | reported by gitleaks | reported by secgate |\n| --- | --- | --- | --- | --- | --- | --- |\n", c.Gitleaks)
	var total struct{ tps, gitleaksTP, secgateTP, fps, gitleaksFP, secgateFP, differ int }
	for _, r := range c.Rules {
		// tally counts the samples of one kind each side reports for
		// the rule, and fails on every sample where the two differ.
		tally := func(kind string, samples []sample) (gitleaks, secgate int) {
			for i, s := range samples {
				theirs, ours := scan(s)
				if has(theirs, r.ID) {
					gitleaks++
				}
				if has(ours, r.ID) {
					secgate++
				}
				if !slices.Equal(theirs, ours) {
					total.differ++
					t.Errorf("%s %s %d %q:\n gitleaks: %v\n secgate:  %v", r.ID, kind, i, s.Content, theirs, ours)
				}
			}
			return gitleaks, secgate
		}
		gTP, sTP := tally("true positive", r.TPs)
		gFP, sFP := tally("false positive", r.FPs)
		fmt.Fprintf(&table, "| %s | %d | %d | %d | %d | %d | %d |\n", r.ID, len(r.TPs), gTP, sTP, len(r.FPs), gFP, sFP)
		total.tps += len(r.TPs)
		total.gitleaksTP += gTP
		total.secgateTP += sTP
		total.fps += len(r.FPs)
		total.gitleaksFP += gFP
		total.secgateFP += sFP
	}
	fmt.Fprintf(&table, "| **all %d rules** | %d | %d | %d | %d | %d | %d |\n", len(c.Rules), total.tps, total.gitleaksTP, total.secgateTP, total.fps, total.gitleaksFP, total.secgateFP)
	t.Logf("%d rules: true positives %d, gitleaks finds %d, secgate %d; false positives %d, gitleaks reports %d, secgate %d; %d samples differ",
		len(c.Rules), total.tps, total.gitleaksTP, total.secgateTP, total.fps, total.gitleaksFP, total.secgateFP, total.differ)
	if *samplesTable != "" {
		if err := os.WriteFile(*samplesTable, []byte(table.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
