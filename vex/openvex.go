package vex

import (
	"errors"
	"fmt"
	"strings"

	govex "github.com/openvex/go-vex/pkg/vex"
)

// OpenVEXContext is the @context of the OpenVEX version secgate reads and
// writes.
var OpenVEXContext = govex.ContextLocator()

// parseOpenVEX reads an OpenVEX document with go-vex, checking what the
// specification requires of it: its version's @context, a timestamp for
// every statement (its own or the document's), and each statement valid
// (go-vex's Statement.Validate: a known status, a known justification, a
// justification or an impact statement for not_affected, an action
// statement for affected), naming a vulnerability and at least one product.
func parseOpenVEX(data []byte, context string) ([]Statement, error) {
	if context != OpenVEXContext {
		return nil, fmt.Errorf("OpenVEX @context %q: only %s is read", context, OpenVEXContext)
	}
	doc, err := govex.Parse(data)
	if err != nil {
		if cause := errors.Unwrap(err); cause != nil {
			err = cause // go-vex says only "error: " before it
		}
		return nil, fmt.Errorf("read OpenVEX: %w", jsonError(data, err))
	}
	if len(doc.Statements) == 0 {
		return nil, errors.New("OpenVEX document without statements")
	}
	out := make([]Statement, 0, len(doc.Statements))
	for i := range doc.Statements {
		st, err := openVEXStatement(doc, &doc.Statements[i])
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i+1, err)
		}
		out = append(out, st)
	}
	return out, nil
}

func openVEXStatement(doc *govex.VEX, s *govex.Statement) (Statement, error) {
	if err := s.Validate(); err != nil {
		return Statement{}, err
	}
	v := s.Vulnerability
	if strings.TrimSpace(string(v.Name)) == "" {
		return Statement{}, errors.New("vulnerability has no name")
	}
	ids := []string{string(v.Name), v.ID}
	for _, a := range v.Aliases {
		ids = append(ids, string(a))
	}
	st := Statement{
		Vulnerabilities: ids,
		Status:          string(s.Status),
		Justification:   string(s.Justification),
		Text:            strings.TrimSpace(s.ImpactStatement),
	}
	if st.Text == "" {
		st.Text = strings.TrimSpace(s.ActionStatement)
	}
	switch {
	case s.Timestamp != nil:
		st.Time = s.Timestamp.UTC()
	case doc.Timestamp != nil:
		st.Time = doc.Timestamp.UTC()
	default:
		return Statement{}, errors.New("no timestamp, neither its own nor the document's")
	}
	if len(s.Products) == 0 {
		return Statement{}, errors.New("names no product")
	}
	for j := range s.Products {
		p := &s.Products[j]
		ids := componentIDs(p.Component)
		if len(ids) == 0 {
			return Statement{}, fmt.Errorf("product %d has neither an @id nor identifiers", j+1)
		}
		var subs [][]string
		for k := range p.Subcomponents {
			sub := componentIDs(p.Subcomponents[k].Component)
			if len(sub) == 0 {
				return Statement{}, fmt.Errorf("product %d: subcomponent %d has neither an @id nor identifiers", j+1, k+1)
			}
			subs = append(subs, sub)
		}
		prod, err := newProduct(ids, subs)
		if err != nil {
			return Statement{}, fmt.Errorf("product %d: %w", j+1, err)
		}
		st.products = append(st.products, prod)
	}
	return st, nil
}

// componentIDs are a component's @id and identifiers (purl, cpe22, cpe23,
// in that order), those given.
func componentIDs(c govex.Component) []string {
	var ids []string
	if c.ID != "" {
		ids = append(ids, c.ID)
	}
	for _, t := range []govex.IdentifierType{govex.PURL, govex.CPE22, govex.CPE23} {
		if id := c.Identifiers[t]; id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}
