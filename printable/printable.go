// Package printable makes text from untrusted input (file names, advisory
// fields, policy messages, error messages that quote a file) safe to write
// to a terminal or a CI log: control characters, ANSI and OSC escape
// sequences and bidirectional-text controls are written as visible escapes
// (\x1b, \u202e), never sent raw; Line also keeps the text on one line, so
// that no untrusted text can begin a line — where GitHub Actions would read
// it as a workflow command (::error::, ##[...]).
package printable

import (
	"fmt"
	"slices"
	"strings"
)

// Line returns s on one line: line breaks and other control characters
// escaped (\n, \r, \x1b, \u009b), tabs as spaces, bidi controls escaped.
func Line(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		default:
			escape(&b, r)
		}
	}
	return b.String()
}

// Lines returns s with each line made safe by Line, the lines after the
// first indented behind "  | ": a line of untrusted text never starts a
// line of output.
func Lines(s string) string {
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		parts[i] = Line(p)
	}
	return strings.Join(parts, "\n  | ")
}

// clean reports whether s needs no escaping.
func clean(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || bidi(r) || r == '\uFFFD' {
			return false
		}
	}
	return true
}

func escape(b *strings.Builder, r rune) {
	switch {
	case r < 0x20 || r == 0x7f:
		fmt.Fprintf(b, `\x%02x`, r)
	case (r >= 0x80 && r < 0xa0) || bidi(r):
		fmt.Fprintf(b, `\u%04x`, r)
	default:
		b.WriteRune(r)
	}
}

// BidiControls are the Unicode bidirectional controls, which can make text
// read otherwise than it is (CVE-2021-42574): writers that escape their
// own way (JSON, XML) escape these.
var BidiControls = []rune{'\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'}

// IsBidi reports whether r is one of BidiControls.
func IsBidi(r rune) bool { return slices.Contains(BidiControls, r) }

func bidi(r rune) bool { return r >= '\u061c' && r <= '\u2069' && IsBidi(r) }
