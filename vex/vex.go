// Package vex reads VEX documents — OpenVEX 0.2 and CycloneDX (1.4 and
// later) BOMs with vulnerability analyses — and matches their statements to
// vulnerability findings, and writes the findings a policy waived as an
// OpenVEX document (Document).
//
// A statement applies to a finding when it names the finding's
// vulnerability (its id or an alias) and its package, by package URL
// (see docs/vex.md). Apply records the latest applying statement on the
// finding (findings.Finding.VEX); what it means is the policy's to decide.
package vex

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/safefile"
)

// Dir and File are where a scanned directory keeps its VEX documents when
// none is given: every *.json in Dir, and File.
const (
	Dir  = ".vex"
	File = ".openvex.json"
)

// MaxTotal bounds the bytes of all the VEX documents of one run (each is
// also capped by safefile.VEX): what they hold is kept in memory.
const MaxTotal = 256 << 20

// Statement is one VEX statement about one vulnerability, from either
// format.
type Statement struct {
	// Vulnerabilities are the vulnerability's name, @id and aliases (for
	// CycloneDX its id and its references' ids).
	Vulnerabilities []string
	// Status is findings.VEXNotAffected, VEXAffected, VEXFixed or
	// VEXUnderInvestigation; Justification OpenVEX's justification, when
	// given.
	Status, Justification string
	// Text is the statement's impact or action statement, or the
	// analysis detail.
	Text string
	// Time is when the statement was made (its own timestamp, else its
	// document's); zero when neither says.
	Time time.Time
	// Source names the document, relative to the report root.
	Source   string
	products []product
	// doc and index are the document's position in the run and the
	// statement's in the document, the last tie-break of latest.
	doc, index int
}

// product is one product a statement is about, and the subcomponents of
// it that the statement is about, when it names some.
type product struct {
	ids   []string // @id and identifiers, as written
	purls []*purl  // those that are package URLs, parsed
	subs  [][]*purl
}

// Set is the statements of the VEX documents of one run, looked up by
// vulnerability id.
type Set struct {
	byVuln map[string][]*Statement
	// Files are the documents read, relative to the report root, in the
	// order read; Statements counts their statements.
	Files      []string
	Statements int
}

// Files returns the default VEX documents of the scanned directory dir:
// every *.json in dir/.vex (sorted by name) and dir/.openvex.json, those
// that exist. A .vex that is not a directory is an error: the user meant
// it to say something.
func Files(dir string) ([]string, error) {
	if dir == "" {
		return nil, nil
	}
	var out []string
	d := filepath.Join(dir, Dir)
	if fi, err := os.Lstat(d); err == nil {
		if !fi.IsDir() {
			return nil, fmt.Errorf("read VEX documents %s: not a directory", d)
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			return nil, fmt.Errorf("read VEX documents %s: %w", d, err)
		}
		for _, e := range entries { // sorted by name
			if strings.HasSuffix(e.Name(), ".json") {
				out = append(out, filepath.Join(d, e.Name())) // read, or refused, by safefile
			}
		}
	}
	if f := filepath.Join(dir, File); exists(f) {
		out = append(out, f)
	}
	return out, nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// Load reads the VEX documents at paths. dir is the scanned directory ("" for
// none): a document inside it may not lead out of it (see package
// safefile). root names the documents in statements' Source. A document
// that cannot be read or is not a valid OpenVEX 0.2 or CycloneDX document
// is an error naming it.
func Load(ctx context.Context, dir string, root findings.Root, paths []string) (*Set, error) {
	s := &Set{byVuln: map[string][]*Statement{}}
	var total int64
	for i, path := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		data, err := safefile.Read(dir, path, safefile.VEX)
		if err != nil {
			return nil, err
		}
		if total += int64(len(data)); total > MaxTotal {
			return nil, fmt.Errorf("%w VEX document %s: the VEX documents of one run are limited to %d MiB together", safefile.ErrUnsafe, path, MaxTotal>>20)
		}
		source, _ := root.Rel(path)
		stmts, err := Parse(source, data)
		if err != nil {
			return nil, fmt.Errorf("parse VEX document %s: %w", path, err)
		}
		s.add(i, stmts)
		s.Files = append(s.Files, source)
	}
	return s, nil
}

// add adds the statements of the document numbered doc.
func (s *Set) add(doc int, stmts []Statement) {
	for i := range stmts {
		st := &stmts[i]
		st.doc, st.index = doc, i
		seen := map[string]bool{}
		for _, id := range st.Vulnerabilities {
			if id != "" && !seen[id] {
				seen[id] = true
				s.byVuln[id] = append(s.byVuln[id], st)
			}
		}
	}
	s.Statements += len(stmts)
}

// Parse parses one VEX document, OpenVEX or CycloneDX (JSON), telling
// them apart by their content; source names it in its statements.
func Parse(source string, data []byte) ([]Statement, error) {
	var head struct {
		Context   *string `json:"@context"`
		BOMFormat *string `json:"bomFormat"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", jsonError(data, err))
	}
	var (
		stmts []Statement
		err   error
	)
	switch {
	case head.Context != nil:
		stmts, err = parseOpenVEX(data, *head.Context)
	case head.BOMFormat != nil && *head.BOMFormat == "CycloneDX":
		stmts, err = parseCycloneDX(data)
	default:
		return nil, errors.New("neither an OpenVEX document (@context) nor a CycloneDX BOM (bomFormat CycloneDX)")
	}
	for i := range stmts {
		stmts[i].Source = source
	}
	return stmts, err
}

// jsonError adds the line of a syntax error to it.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("line %d: %w", line, err)
	}
	return err
}

// Apply records on each vulnerability finding of doc with a package URL
// the latest statement that applies to it (see latest), and returns how
// many findings it recorded one on. A finding's earlier VEX is replaced,
// or removed when no statement applies. app, when not nil, names the
// application a finding outside images is in, as a package URL ("" when
// unknown): see product.matches.
func (s *Set) Apply(doc *findings.Document, app func(*findings.Finding) string) int {
	n := 0
	for i := range doc.Findings {
		f := &doc.Findings[i]
		f.VEX = nil
		a := ""
		if app != nil && s != nil && len(s.byVuln) > 0 {
			a = app(f)
		}
		if st := s.For(f, a); st != nil {
			f.VEX = &findings.VEX{Status: st.Status, Justification: st.Justification, Statement: st.Text, Source: st.Source}
			n++
		}
	}
	return n
}

// For returns the latest statement that applies to f, or nil: the one
// naming f's advisory or one of its aliases, whose product (or one of its
// subcomponents) is f's package (see product.matches); app is the package
// URL of the application f is in, "" when unknown.
func (s *Set) For(f *findings.Finding, app string) *Statement {
	if s == nil || len(s.byVuln) == 0 || f.Package == nil || f.Package.PURL == "" {
		return nil
	}
	// The statements about f's vulnerability first: most findings have
	// none, and then no package URL is parsed.
	var candidates []*Statement
	s.each(f, func(st *Statement) { candidates = append(candidates, st) })
	if len(candidates) == 0 {
		return nil
	}
	pkg, err := parsePURL(f.Package.PURL)
	if err != nil {
		return nil
	}
	image := ""
	if f.Image != nil {
		image = f.Image.Ref
	}
	var application *purl
	if app != "" && image == "" {
		if application, err = parsePURL(app); err != nil {
			application = nil
		}
	}
	var best *Statement
	for _, st := range candidates {
		if st != best && latest(st, best) && st.matches(pkg, image, application) {
			best = st
		}
	}
	return best
}

// each calls fn with the statements naming f's advisory id (RuleID,
// Vulnerability.ID) or one of its aliases; a statement naming two of them
// comes twice.
func (s *Set) each(f *findings.Finding, fn func(*Statement)) {
	ids := [2]string{f.RuleID}
	var aliases []string
	if v := f.Vulnerability; v != nil {
		ids[1], aliases = v.ID, v.Aliases
	}
	for i, id := range ids {
		if i == 1 && id == ids[0] {
			continue
		}
		for _, st := range s.byVuln[id] {
			fn(st)
		}
	}
	for _, id := range aliases {
		for _, st := range s.byVuln[id] {
			fn(st)
		}
	}
}

// latest reports whether a is to be taken over b (nil): it is later (as
// OpenVEX says, the latest statement is the one in force); at the same
// time the one that waives least (affected, under_investigation, fixed,
// not_affected), so that a tie never opens the gate; then the one read
// last.
func latest(a, b *Statement) bool {
	if b == nil {
		return true
	}
	return cmp.Or(
		a.Time.Compare(b.Time),
		cmp.Compare(statusRank(b.Status), statusRank(a.Status)),
		cmp.Compare(a.doc, b.doc),
		cmp.Compare(a.index, b.index),
	) > 0
}

func statusRank(status string) int {
	switch status {
	case findings.VEXAffected:
		return 0
	case findings.VEXUnderInvestigation:
		return 1
	case findings.VEXFixed:
		return 2
	}
	return 3
}

// matches reports whether the statement is about the package pkg, in the
// image image ("" for a finding outside images) or the application app
// (nil when unknown).
func (st *Statement) matches(pkg *purl, image string, app *purl) bool {
	for i := range st.products {
		if st.products[i].matches(pkg, image, app) {
			return true
		}
	}
	return false
}

// matches reports whether the product is pkg: without subcomponents, when
// the product is the package, or the image the package is in; with them,
// when one is the package and the product is its image, or for a finding
// outside images its application app (a Go module's own path, from its
// go.mod). When the application is not known (other lockfiles: secgate
// cannot tell which application a repository builds), any product but an
// image.
func (p *product) matches(pkg *purl, image string, app *purl) bool {
	if len(p.subs) == 0 {
		for _, s := range p.purls {
			if s.covers(pkg) {
				return true
			}
		}
		return image != "" && p.namesImage(image)
	}
	if image != "" && !p.namesImage(image) || image == "" && p.isImage() {
		return false
	}
	if image == "" && app != nil && !slices.ContainsFunc(p.purls, func(s *purl) bool { return s.covers(app) }) {
		return false
	}
	for _, sub := range p.subs {
		for _, s := range sub {
			if s.covers(pkg) {
				return true
			}
		}
	}
	return false
}

func (p *product) namesImage(ref string) bool {
	return slices.ContainsFunc(p.ids, func(id string) bool { return namesImage(id, ref) })
}

func (p *product) isImage() bool {
	return slices.ContainsFunc(p.ids, isImage)
}

// newProduct is the product of the identifiers ids, and the package URLs
// of its subcomponents; a malformed package URL is an error.
func newProduct(ids []string, subs [][]string) (product, error) {
	p := product{ids: ids}
	var err error
	if p.purls, err = purls(ids); err != nil {
		return p, err
	}
	for _, sub := range subs {
		ps, err := purls(sub)
		if err != nil {
			return p, err
		}
		p.subs = append(p.subs, ps)
	}
	return p, nil
}

func purls(ids []string) ([]*purl, error) {
	var out []*purl
	for _, id := range ids {
		if !isPURL(id) {
			continue
		}
		p, err := parsePURL(id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
