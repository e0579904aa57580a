package report

import (
	"bytes"
	"encoding/json"
	"io"

	"github.com/secgate/secgate/findings"
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
// one write, nothing when encoding fails.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

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
