package report

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/secgate/secgate/findings"
)

func TestTableSortOrder(t *testing.T) {
	f := func(decision string, sev findings.Severity, pkg, id string) findings.Finding {
		return findings.Finding{
			ID: findings.Fingerprint(decision, string(sev), pkg, id), Kind: findings.KindVulnerability,
			Scanner: findings.ScannerDeps, RuleID: id, Severity: sev,
			Location: findings.Location{Path: "go.mod", Line: 1},
			Package:  &findings.Package{Name: pkg, Version: "1.0.0", Ecosystem: "Go"},
			Decision: decision,
		}
	}
	doc := &findings.Document{Findings: []findings.Finding{
		f("allow", findings.SeverityCritical, "a", "ID-1"),
		f("", findings.SeverityCritical, "a", "ID-1"),
		f("warn", findings.SeverityLow, "a", "ID-1"),
		f("deny", findings.SeverityUnknown, "a", "ID-1"),
		f("deny", findings.SeverityHigh, "b", "ID-2"),
		f("deny", findings.SeverityHigh, "b", "ID-1"),
		f("deny", findings.SeverityHigh, "a", "ID-9"),
		f("deny", findings.SeverityCritical, "z", "ID-1"),
		f("warn", findings.SeverityMedium, "a", "ID-1"),
		f("waived", findings.SeverityLow, "a", "ID-1"),
		f("waived", findings.SeverityCritical, "a", "ID-1"),
	}}
	want := []string{
		"deny critical z@1.0.0 ID-1",
		"deny high a@1.0.0 ID-9",
		"deny high b@1.0.0 ID-1",
		"deny high b@1.0.0 ID-2",
		"deny unknown a@1.0.0 ID-1",
		"warn medium a@1.0.0 ID-1",
		"warn low a@1.0.0 ID-1",
		"waived critical a@1.0.0 ID-1",
		"waived low a@1.0.0 ID-1",
		"allow critical a@1.0.0 ID-1",
		"- critical a@1.0.0 ID-1",
	}
	for seed := range uint64(10) {
		out := string(render(t, FormatTable, Options{}, shuffled(doc, seed)))
		lines := strings.Split(out, "\n")
		if !strings.HasPrefix(lines[0], "DECISION  SEVERITY  PACKAGE") {
			t.Fatalf("no header:\n%s", out)
		}
		for i, w := range want {
			if got := strings.Join(strings.Fields(lines[i+1])[:4], " "); got != w {
				t.Errorf("seed %d row %d = %q, want %q\n%s", seed, i, got, w, out)
			}
		}
		// The waived rows (without waivers) are listed after the table.
		if got := strings.Join(lines[len(want)+2:len(want)+5], "\n"); got != "Waived findings:\n  ID-1  a@1.0.0: waived (no waiver recorded)\n  ID-1  a@1.0.0: waived (no waiver recorded)" {
			t.Errorf("waived section %q", got)
		}
		if got := lines[len(want)+6]; got != "11 findings: 5 deny, 2 warn, 2 waived, 1 allow, 1 undecided (4 critical, 3 high, 1 medium, 2 low, 1 unknown)." {
			t.Errorf("summary = %q", got)
		}
	}
}

func TestTableCases(t *testing.T) {
	secret := findings.Finding{
		ID: findings.Fingerprint("x"), Kind: findings.KindSecret, Scanner: findings.ScannerSecrets,
		RuleID: "generic-api-key", Title: "Generic API key", Severity: findings.SeverityHigh,
		Location: findings.Location{Path: ".env"}, Decision: findings.DecisionWarn,
	}
	tests := []struct {
		name string
		doc  *findings.Document
		want string
	}{
		{
			name: "no findings, no decision",
			doc:  &findings.Document{},
			want: "No findings.\n",
		},
		{
			name: "no findings, pass",
			doc:  &findings.Document{Decision: &findings.Decision{Result: findings.ResultPass}},
			want: "No findings. Result: PASS.\n",
		},
		{
			name: "policy result only",
			doc: &findings.Document{Decision: &findings.Decision{Result: findings.ResultFail, Deny: []findings.PolicyResult{
				{Msg: "no scan ran", Policy: "secgate.coverage"},
			}}},
			want: "Policy results about the whole scan:\n  deny  secgate.coverage: no scan ran\n\nNo findings. Result: FAIL.\n",
		},
		{
			name: "finding without package or line",
			doc:  &findings.Document{Findings: []findings.Finding{secret}, Decision: &findings.Decision{Result: findings.ResultPass}},
			want: "DECISION  SEVERITY  PACKAGE  ID               TITLE            FIXED IN  LOCATION\n" +
				"warn      high      .env     generic-api-key  Generic API key  -         .env\n" +
				"\n1 finding: 0 deny, 1 warn, 0 allow (1 high). Result: PASS.\n",
		},
	}
	waived := secret
	waived.Decision = findings.DecisionWaived
	waived.Waiver = &findings.Waiver{RuleID: "generic-api-key", Path: ".env", Reason: "test fixture,\nnot a real key", Expires: "2026-01-31"}
	tests = append(tests, struct {
		name string
		doc  *findings.Document
		want string
	}{
		name: "waived finding",
		doc:  &findings.Document{Findings: []findings.Finding{waived}, Decision: &findings.Decision{Result: findings.ResultPass}},
		want: "DECISION  SEVERITY  PACKAGE  ID               TITLE            FIXED IN  LOCATION\n" +
			"waived    high      .env     generic-api-key  Generic API key  -         .env\n" +
			"\nWaived findings:\n  generic-api-key  .env: test fixture, not a real key (until 2026-01-31)\n" +
			"\n1 finding: 0 deny, 0 warn, 1 waived, 0 allow (1 high). Result: PASS.\n",
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(render(t, FormatTable, Options{}, tt.doc)); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestTableWidth(t *testing.T) {
	doc := sampleDocument()
	doc.Findings[0].Location.Path = "some/very/long/path/to/a/nested/module/that/does/not/fit/go.mod"
	full := string(render(t, FormatTable, Options{}, doc))
	if !strings.Contains(full, doc.Findings[0].Location.Path) {
		t.Fatalf("without a width the table must not cut anything:\n%s", full)
	}
	const width = 80
	out := string(render(t, FormatTable, Options{Width: width}, doc))
	table, _, _ := strings.Cut(out, "\nCalls to vulnerable code:") // the groups of rows
	for _, line := range strings.Split(table, "\n") {
		if n := utf8.RuneCountInString(line); n > width {
			t.Errorf("line is %d runes wide, want at most %d: %q", n, width, line)
		}
	}
	if !strings.Contains(out, ellipsis) {
		t.Errorf("no cell was shortened:\n%s", out)
	}
	// Paths are shortened from the front: the file name and line stay.
	cutFromFront := false
	for _, line := range strings.Split(table, "\n") {
		if strings.Contains(line, doc.Findings[0].RuleID[:9]) { // the finding's row
			cutFromFront = strings.Contains(line, fmt.Sprintf("go.mod:%d", doc.Findings[0].Location.Line)) && !strings.Contains(line, "some/very/long")
		}
	}
	if !cutFromFront {
		t.Errorf("the long location was not cut from its front:\n%s", out)
	}
}

func TestTableColor(t *testing.T) {
	plain := string(render(t, FormatTable, Options{}, sampleDocument()))
	if strings.Contains(plain, "\x1b[") {
		t.Errorf("color without Options.Color:\n%s", plain)
	}
	colored := string(render(t, FormatTable, Options{Color: true}, sampleDocument()))
	if !strings.Contains(colored, ansiBoldRed+"deny"+ansiReset) {
		t.Errorf("no colored deny:\n%q", colored)
	}
	// Colors do not change the alignment: without the escapes the text is
	// the plain table.
	stripped := colored
	for _, c := range []string{ansiReset, ansiBold, ansiBoldRed, ansiRed, ansiGreen, ansiYellow, ansiBlue, ansiMagenta, ansiCyan} {
		stripped = strings.ReplaceAll(stripped, c, "")
	}
	if stripped != plain {
		t.Errorf("colored table without escapes differs from the plain one:\n%s\n%s", stripped, plain)
	}
}

// mixedDocument is a scan of lockfiles, an image, secrets of the tree and
// of git history, compared with a baseline: every column and group of the
// table.
func mixedDocument() *findings.Document {
	doc := sampleImageDocument()
	for i := range doc.Findings {
		f := &doc.Findings[i]
		f.Baseline = findings.BaselineNew
		if i%3 == 0 {
			f.Baseline = findings.BaselineExisting
		}
		if f.Kind == findings.KindSecret && f.Image == nil {
			f.Commit = &findings.Commit{SHA: "9f2c1e4b7a6d5c3b2a1908f7e6d5c4b3a2918070", AuthorEmail: "dev@example.com", Date: "2026-11-30T10:00:00Z"}
		}
	}
	return doc
}

// TestTableGolden: the mixed scan's table as a terminal of 80 and of 160
// columns shows it (go test ./report -update rewrites the files).
func TestTableGolden(t *testing.T) {
	for _, width := range []int{80, 160} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			out := render(t, FormatTable, Options{Width: width}, mixedDocument())
			checkGolden(t, fmt.Sprintf("mixed-%d.txt", width), out)
			table, _, _ := strings.Cut(string(out), "\nCalls to vulnerable code:")
			for _, line := range strings.Split(table, "\n") {
				if n := utf8.RuneCountInString(line); n > width {
					t.Errorf("line is %d runes wide, want at most %d: %q", n, width, line)
				}
			}
		})
	}
}
