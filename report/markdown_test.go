package report

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
)

func TestMarkdownBanner(t *testing.T) {
	vuln := func(decision string, sev findings.Severity) findings.Finding {
		return findings.Finding{
			ID: findings.Fingerprint(decision, string(sev)), Kind: findings.KindVulnerability, Scanner: findings.ScannerDeps,
			RuleID: "GO-1", Severity: sev, Location: findings.Location{Path: "go.mod"},
			Package: &findings.Package{Name: "m", Version: "1"}, Decision: decision,
		}
	}
	tests := []struct {
		name string
		doc  *findings.Document
		want string
	}{
		{"sample", sampleDocument(), "### ❌ secgate: FAIL — 4 denied, 1 warning, 1 waived · 2 policy failures, 1 policy warning"},
		{"pass, nothing", &findings.Document{Decision: &findings.Decision{Result: findings.ResultPass}}, "### ✅ secgate: PASS — no findings"},
		{"no decision", &findings.Document{Findings: []findings.Finding{vuln("", findings.SeverityLow)}}, "### ❔ secgate: NO DECISION — 0 denied, 0 warnings"},
		{"pass with warnings", &findings.Document{
			Findings: []findings.Finding{vuln(findings.DecisionWarn, findings.SeverityLow), vuln(findings.DecisionWarn, findings.SeverityMedium)},
			Decision: &findings.Decision{Result: findings.ResultPass},
		}, "### ✅ secgate: PASS — 0 denied, 2 warnings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(render(t, FormatMarkdown, Options{}, tt.doc))
			lines := strings.Split(out, "\n")
			if lines[0] != MarkdownMarker {
				t.Errorf("first line %q, want the marker", lines[0])
			}
			if lines[1] != tt.want {
				t.Errorf("banner %q, want %q", lines[1], tt.want)
			}
			if !strings.HasSuffix(out, "\n") || strings.HasSuffix(out, "\n\n") {
				t.Errorf("output does not end with exactly one newline: %q", out[max(0, len(out)-20):])
			}
		})
	}
}

func TestMarkdownBaseline(t *testing.T) {
	doc := sampleDocument()
	for i := range doc.Findings {
		doc.Findings[i].Baseline = findings.BaselineExisting
	}
	doc.Findings[0].Baseline = findings.BaselineNew
	out := string(render(t, FormatMarkdown, Options{}, doc))
	if !strings.Contains(out, "1 waived, 1 new ·") {
		t.Errorf("banner without the new findings:\n%s", out)
	}
	if !strings.Contains(out, "| Decision | Severity | Rule | Package / location | Fixed in | Baseline |") ||
		strings.Count(out, "| new |") != 1 || strings.Count(out, "| existing |") != 6 {
		t.Errorf("no baseline column:\n%s", out)
	}
}

// TestMarkdownEscaping: text from findings cannot break the table or add
// markup.
func TestMarkdownEscaping(t *testing.T) {
	doc := &findings.Document{Findings: []findings.Finding{{
		ID: "x", Kind: findings.KindVulnerability, Scanner: findings.ScannerDeps, RuleID: "ID|`x`",
		Severity: findings.SeverityHigh, Location: findings.Location{Path: "a|b\nc.lock", Line: 2},
		Package:       &findings.Package{Name: "evil|pkg`<img src=x>`*_[link](http://x)", Version: "1\n|2"},
		Vulnerability: &findings.Vulnerability{ID: "ID|`x`", FixedVersions: []string{"2|3"}},
		Decision:      findings.DecisionDeny,
	}}, Decision: &findings.Decision{Result: findings.ResultFail, Deny: []findings.PolicyResult{{Msg: "line1\nline2 | <b>", Policy: "p"}}}}
	out := string(render(t, FormatMarkdown, Options{}, doc))
	var row string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "| ❌ deny | high |") {
			row = l
		}
	}
	want := "| ❌ deny | high | [ID\\|\\`x\\`](https://osv.dev/vulnerability/ID%7C%60x%60) | evil\\|pkg\\`\\<img src=x\\>\\`\\*\\_\\[link\\](http://x)@1 \\|2 (a\\|b c.lock:2) | 2\\|3 |"
	if row != want {
		t.Errorf("row:\n%s\nwant:\n%s\n\n%s", row, want, out)
	}
	// Unescaped pipes split cells: the row must have exactly 6.
	if n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(row, -1)); n != 6 {
		t.Errorf("row has %d cell separators, want 6: %s", n, row)
	}
	if !strings.Contains(out, "- ❌ deny p: line1 line2 \\| \\<b\\>\n") {
		t.Errorf("policy result not escaped:\n%s", out)
	}
}

// manyFindings is a document with n denied findings.
func manyFindings(n int) *findings.Document {
	doc := &findings.Document{Decision: &findings.Decision{Result: findings.ResultFail}}
	for i := range n {
		name := fmt.Sprintf("package-with-a-rather-long-name-%06d", i)
		doc.Findings = append(doc.Findings, findings.Finding{
			ID: findings.Fingerprint(name), Kind: findings.KindVulnerability, Scanner: findings.ScannerDeps,
			RuleID: fmt.Sprintf("GHSA-%04d-0000-0000", i%10000), Severity: findings.SeverityHigh,
			Location: findings.Location{Path: "services/some/deeply/nested/project/package-lock.json", Line: i + 1},
			Package:  &findings.Package{Name: name, Version: "1.0.0", Ecosystem: "npm"},
			Vulnerability: &findings.Vulnerability{
				ID: fmt.Sprintf("GHSA-%04d-0000-0000", i%10000), FixedVersions: []string{"1.0.1"},
			},
			Decision: findings.DecisionDeny,
		})
	}
	return doc
}

var moreRE = regexp.MustCompile(`\n_… and (\d+) more findings?: this summary was cut to (\d+) bytes; see the full report\._\n$`)

func TestMarkdownCut(t *testing.T) {
	const n = 20000 // about 3.5 MB of rows
	doc := manyFindings(n)
	for _, tt := range []struct {
		maxBytes, want int
	}{
		{0, DefaultMarkdownMaxBytes},
		{64 << 10, 64 << 10},
		{100, MinMarkdownMaxBytes},
	} {
		out := string(render(t, FormatMarkdown, Options{MaxBytes: tt.maxBytes}, doc))
		if len(out) > tt.want {
			t.Errorf("MaxBytes %d: %d bytes, want at most %d", tt.maxBytes, len(out), tt.want)
		}
		if len(out) < tt.want-300 {
			t.Errorf("MaxBytes %d: %d bytes, the cut wastes more than a row", tt.maxBytes, len(out))
		}
		m := moreRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("MaxBytes %d: no final line:\n%s", tt.maxBytes, out[max(0, len(out)-300):])
		}
		rows := strings.Count(out, "\n| ❌ deny | high |")
		if more, _ := strconv.Atoi(m[1]); rows+more != n || rows == 0 && tt.maxBytes != 100 {
			t.Errorf("MaxBytes %d: %d rows + %s more != %d", tt.maxBytes, rows, m[1], n)
		}
		if m[2] != strconv.Itoa(tt.want) {
			t.Errorf("final line names %s bytes, want %d", m[2], tt.want)
		}
		if !strings.HasPrefix(out, MarkdownMarker+"\n### ❌ secgate: FAIL — 20000 denied") || !strings.Contains(out, "| **Total** | 0 | 20000 |") {
			t.Errorf("MaxBytes %d: the banner and counts must survive the cut:\n%s", tt.maxBytes, out[:min(len(out), 800)])
		}
	}
	// No cap.
	out := string(render(t, FormatMarkdown, Options{MaxBytes: -1}, doc))
	if strings.Count(out, "\n| ❌ deny | high |") != n || moreRE.MatchString(out) {
		t.Errorf("MaxBytes -1 cut the output (%d bytes)", len(out))
	}
	// A document that fits is not cut.
	small := string(render(t, FormatMarkdown, Options{}, manyFindings(10)))
	if strings.Contains(small, "…") || strings.Count(small, "\n| ❌ deny | high |") != 10 {
		t.Errorf("small document cut:\n%s", small)
	}
}
