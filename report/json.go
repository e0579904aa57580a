package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/printable"
)

// jsonOutputter writes the findings document itself (see findings/schema.json
// and docs/findings.md), indented with two spaces and ending in a newline.
//
// The document is normalized on the way out, never in place: findings are
// sorted (see sortedFindings), scans by scanner and target, policy results
// (deny, warn and waived) by finding ID, policy and message, and every list
// the schema declares is written as [] rather than null. Waived findings keep
// their waiver. HTML characters are not escaped, so that
// advisory texts stay readable.
type jsonOutputter struct {
	opts Options
}

func (o *jsonOutputter) Output(w io.Writer, doc *findings.Document) error {
	if doc == nil {
		return errNilDocument
	}
	return writeJSON(w, normalizeDocument(doc))
}

// writeJSON writes v as indented JSON with HTML characters unescaped, in
// one write, nothing when encoding fails. encoding/json escapes control
// characters; the bidirectional-text controls, which it writes raw, are
// escaped too (\u202e), so that no report read in a terminal reorders
// its text.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := io.WriteString(w, bidiEscaper.Replace(buf.String()))
	return err
}

// bidiEscaper writes the Unicode bidirectional controls as JSON escapes;
// they occur only inside JSON strings.
var bidiEscaper = func() *strings.Replacer {
	var pairs []string
	for _, r := range printable.BidiControls {
		pairs = append(pairs, string(r), fmt.Sprintf(`\u%04x`, r))
	}
	return strings.NewReplacer(pairs...)
}()

// normalizeDocument returns a sorted copy of doc with non-nil lists. It
// shares no slice or pointer with doc that it changes.
func normalizeDocument(doc *findings.Document) *findings.Document {
	out := *doc

	out.Scans = nonNil(sortedScans(doc.Scans))

	out.Findings = nonNil(sortedFindings(doc.Findings))
	for i := range out.Findings {
		if v := out.Findings[i].Vulnerability; v != nil {
			nv := *v
			nv.Aliases = nonNil(nv.Aliases)
			nv.FixedVersions = nonNil(nv.FixedVersions)
			nv.References = nonNil(nv.References)
			out.Findings[i].Vulnerability = &nv
		}
	}

	if doc.Decision != nil {
		d := *doc.Decision
		d.Deny = sortedPolicyResults(d.Deny)
		d.Warn = sortedPolicyResults(d.Warn)
		d.Waived = sortedPolicyResults(d.Waived)
		out.Decision = &d
	}
	return &out
}
