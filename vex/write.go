package vex

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	govex "github.com/openvex/go-vex/pkg/vex"

	"github.com/secgate/secgate/findings"
)

// DefaultAuthor is the author of the documents Document writes unless told
// otherwise.
const DefaultAuthor = "secgate"

// ErrNothingWaived is returned by Document for a report in which no
// vulnerability finding with a package URL was waived: an OpenVEX document
// has at least one statement.
var ErrNothingWaived = errors.New("no vulnerability finding with a package URL was waived")

// DocumentOptions say what Document writes besides the statements.
type DocumentOptions struct {
	// Author is the document's author (DefaultAuthor when empty) and
	// Tooling the program that wrote it ("secgate 1.2.3").
	Author, Tooling string
	// Justification justifies the not_affected status of a finding a
	// waiver accepted, or that the policy waived for another reason than
	// a not_affected VEX statement (InlineMitigationsAlreadyExist when
	// empty): a waiver says why in its reason, not in OpenVEX's words.
	Justification string
	// Timestamp is the document's; when zero the latest advisory date
	// (modified, else published) of the report's findings, so that the
	// same report always gives the same document.
	Timestamp time.Time
}

// Skipped is a waived finding that Document could not state.
type Skipped struct {
	ID, RuleID string
	Reason     string // "no package URL", "not a vulnerability"
}

// Document returns the OpenVEX document of the findings that the policy
// waived in doc, a decided report (secgate scan --format json): each
// vulnerability finding with a package URL is a statement about its
// advisory (named by its id, with its aliases) in its package — the
// package's URL as the product, or for a finding in an image the image
// (ImageProduct) with the package as subcomponent. A finding a waiver
// accepted is not_affected, its reason the impact statement; one the
// policy waived by its VEX statement keeps that statement's status
// (not_affected or fixed), justification and text. Statements that say
// the same of several products are one statement. The @id is derived from
// the content (a hash of the document without it), so the same report
// gives byte-identical output. Waived findings it cannot state are
// returned as Skipped; ErrNothingWaived when nothing is left.
func Document(doc *findings.Document, opts DocumentOptions) (*govex.VEX, []Skipped, error) {
	if doc.Decision == nil {
		return nil, nil, errors.New("the report holds no decision: give the JSON report of secgate scan (--format json)")
	}
	justification := govex.Justification(cmp.Or(opts.Justification, string(govex.InlineMitigationsAlreadyExist)))
	if !justification.Valid() {
		return nil, nil, fmt.Errorf("justification %q: want one of %s", justification, strings.Join(govex.Justifications(), ", "))
	}
	type key struct{ vuln, status, justification, impact, notes string }
	grouped := map[key]*govex.Statement{}
	var skipped []Skipped
	for i := range doc.Findings {
		f := &doc.Findings[i]
		if f.Decision != findings.DecisionWaived {
			continue
		}
		switch {
		case f.Kind != findings.KindVulnerability || f.Vulnerability == nil:
			skipped = append(skipped, Skipped{f.ID, f.RuleID, "not a vulnerability"})
			continue
		case f.Package == nil || f.Package.PURL == "":
			skipped = append(skipped, Skipped{f.ID, f.RuleID, "no package URL"})
			continue
		}
		st := statementOf(f, justification)
		aliases := make([]string, len(st.Vulnerability.Aliases))
		for i, a := range st.Vulnerability.Aliases {
			aliases[i] = string(a)
		}
		k := key{string(st.Vulnerability.Name) + "\x00" + strings.Join(aliases, "\x00"), string(st.Status), string(st.Justification), st.ImpactStatement, st.StatusNotes}
		if g := grouped[k]; g != nil {
			g.Products = append(g.Products, st.Products...)
			continue
		}
		grouped[k] = &st
	}
	if len(grouped) == 0 {
		return nil, skipped, ErrNothingWaived
	}
	when := opts.Timestamp
	if when.IsZero() {
		var err error
		if when, err = reportTime(doc); err != nil {
			return nil, nil, err
		}
	}
	when = when.UTC().Truncate(time.Second) // go-vex writes seconds
	keys := make([]key, 0, len(grouped))
	for k := range grouped {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.vuln, b.vuln), cmp.Compare(a.status, b.status), cmp.Compare(a.justification, b.justification),
			cmp.Compare(a.impact, b.impact), cmp.Compare(a.notes, b.notes))
	})
	out := govex.VEX{
		Metadata: govex.Metadata{
			Context:   OpenVEXContext,
			Author:    cmp.Or(opts.Author, DefaultAuthor),
			Timestamp: &when,
			Version:   1,
			Tooling:   opts.Tooling,
		},
		Statements: make([]govex.Statement, 0, len(keys)),
	}
	for _, k := range keys {
		st := grouped[k]
		st.Products = uniqueProducts(st.Products)
		if err := st.Validate(); err != nil {
			return nil, nil, fmt.Errorf("statement on %s: %w", st.Vulnerability.Name, err) // a bug: say so rather than write it
		}
		out.Statements = append(out.Statements, *st)
	}
	var buf bytes.Buffer
	if err := out.ToJSON(&buf); err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	out.ID = govex.PublicNamespace + "/public/vex-" + hex.EncodeToString(sum[:])
	return &out, skipped, nil
}

// Write writes the document as go-vex does (indented JSON).
func Write(w io.Writer, v *govex.VEX) error {
	if err := v.ToJSON(w); err != nil {
		return fmt.Errorf("write VEX document: %w", err)
	}
	return nil
}

// statementOf is the statement of the waived finding f.
func statementOf(f *findings.Finding, justification govex.Justification) govex.Statement {
	v := f.Vulnerability
	aliases := slices.Clone(v.Aliases)
	slices.Sort(aliases)
	aliases = slices.Compact(aliases)
	st := govex.Statement{Vulnerability: govex.Vulnerability{Name: govex.VulnerabilityID(cmp.Or(v.ID, f.RuleID))}}
	for _, a := range aliases {
		if a != string(st.Vulnerability.Name) {
			st.Vulnerability.Aliases = append(st.Vulnerability.Aliases, govex.VulnerabilityID(a))
		}
	}
	p := govex.Product{Component: govex.Component{ID: f.Package.PURL}}
	if f.Image != nil && f.Image.Ref != "" {
		p = govex.Product{
			Component:     govex.Component{ID: ImageProduct(f.Image.Ref)},
			Subcomponents: []govex.Subcomponent{{Component: govex.Component{ID: f.Package.PURL}}},
		}
	}
	st.Products = []govex.Product{p}
	switch w, x := f.Waiver, f.VEX; {
	case w != nil:
		st.Status, st.Justification = govex.StatusNotAffected, justification
		st.ImpactStatement = strings.TrimSpace(w.Reason)
		st.StatusNotes = "accepted by a secgate waiver until " + w.Expires
		if w.Owner != "" {
			st.StatusNotes += ", owner " + w.Owner
		}
	case x != nil && x.Status == findings.VEXFixed:
		st.Status = govex.StatusFixed
		st.StatusNotes = vexNotes(x)
	case x != nil:
		// not_affected; or another status that the policy waived (a
		// team's Rego may weigh under_investigation so).
		st.Status = govex.StatusNotAffected
		st.Justification = govex.Justification(x.Justification)
		st.ImpactStatement = x.Statement
		if x.Status != findings.VEXNotAffected {
			st.Justification, st.ImpactStatement = "", "waived by the secgate policy"
		}
		if st.Justification == "" && st.ImpactStatement == "" {
			st.Justification = justification // OpenVEX wants one of them
		}
		st.StatusNotes = vexNotes(x)
	default:
		st.Status, st.Justification = govex.StatusNotAffected, justification
		st.StatusNotes = "waived by the secgate policy"
	}
	return st
}

// vexNotes says where a statement carried over from a VEX document came
// from and, when its text is not the impact statement, what it said.
func vexNotes(x *findings.VEX) string {
	s := "from VEX document " + x.Source
	switch x.Status {
	case findings.VEXNotAffected: // its text is the impact statement
		return s
	case findings.VEXFixed:
	default:
		s += ", which says " + x.Status
	}
	if x.Statement != "" {
		s += ": " + x.Statement
	}
	return s
}

// reportTime is the latest advisory date of the report's findings.
func reportTime(doc *findings.Document) (time.Time, error) {
	var latest time.Time
	for i := range doc.Findings {
		v := doc.Findings[i].Vulnerability
		if v == nil {
			continue
		}
		for _, s := range []string{v.Modified, v.Published} {
			if t, err := time.Parse(time.RFC3339, s); err == nil && t.After(latest) {
				latest = t
			}
		}
	}
	if latest.IsZero() {
		return latest, errors.New("the report holds no advisory date to date the VEX document by: give a timestamp")
	}
	return latest, nil
}

// uniqueProducts sorts products by identifier and drops repeats (the same
// package in two lockfiles).
func uniqueProducts(ps []govex.Product) []govex.Product {
	label := func(p govex.Product) string {
		s := p.ID
		for _, sub := range p.Subcomponents {
			s += "\x00" + sub.ID
		}
		return s
	}
	slices.SortFunc(ps, func(a, b govex.Product) int { return cmp.Compare(label(a), label(b)) })
	return slices.CompactFunc(ps, func(a, b govex.Product) bool { return label(a) == label(b) })
}
