package printable

import (
	"strings"
	"testing"
)

func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"go.mod":                      "go.mod",
		"a\tb":                        "a b",
		"x\n::error::forged":          `x\n::error::forged`,
		"x\r\n##[error]forged":        `x\r\n##[error]forged`,
		"\x1b[31mred\x1b[0m":          `\x1b[31mred\x1b[0m`,
		"\x1b]8;;http://evil\x07link": `\x1b]8;;http://evil\x07link`,
		"\u009b31m":                   `\u009b31m`,
		"admin\u202e\u2066txt.exe":    `admin\u202e\u2066txt.exe`,
		"ünïcödé ok":                  "ünïcödé ok",
		"bad \xff byte":               "bad \uFFFD byte",
	} {
		got := Line(in)
		if strings.Contains(want, "\uFFFD") {
			if !strings.Contains(got, "\uFFFD") {
				t.Errorf("Line(%q) = %q", in, got)
			}
			continue
		}
		if got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
}

// No line of Lines' output starts with the untrusted text, even with
// leading white space, which the Actions runner trims.
func TestLinesNeverStartWithInput(t *testing.T) {
	out := Lines("first\n  ::error::forged\n##[warning]x\n\x1b]0;title\x07")
	for i, l := range strings.Split(out, "\n") {
		trimmed := strings.TrimLeft(l, " \t")
		if i > 0 && !strings.HasPrefix(trimmed, "|") {
			t.Errorf("line %d %q starts with input", i, l)
		}
		if strings.ContainsRune(l, 0x1b) {
			t.Errorf("raw escape in %q", l)
		}
	}
}
