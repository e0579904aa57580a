package policies

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/policies/internal/irvm"
)

// inputValue converts doc to the policy input: the document as its JSON
// encoding reads (same keys, optional fields omitted when empty), without
// the document's or the findings' decisions. Lists that Go leaves nil are
// empty arrays, as the schema says, so that policies can count them.
//
// Building the AST directly is about 4x faster than a JSON round trip and
// allocates a quarter of the memory (BenchmarkInput).
func inputValue(doc *findings.Document) ast.Value {
	return inputOf(doc, doc.Findings)
}

// inputOf is the input of doc with fs (doc's findings, or a chunk of them)
// as its findings.
func inputOf(doc *findings.Document, fs []findings.Finding) ast.Value {
	return buildInput(newInputBuilder(), doc, fs)
}

// defaultsInputOf is inputOf with, in each finding, only the fields the
// default policies read (see projectedFinding): what decideChunked gives
// them.
func defaultsInputOf(doc *findings.Document, fs []findings.Finding) ast.Value {
	b := newInputBuilder()
	b.projected = true
	return buildInput(b, doc, fs)
}

func buildInput(b *inputBuilder, doc *findings.Document, fs []findings.Finding) ast.Value {
	scans := make([]*ast.Term, len(doc.Scans))
	for i := range doc.Scans {
		scans[i] = b.scan(&doc.Scans[i])
	}
	fts := make([]*ast.Term, len(fs))
	for i := range fs {
		if b.projected {
			fts[i] = b.projectedFinding(&fs[i])
		} else {
			fts[i] = b.finding(&fs[i])
		}
	}
	tool := ast.ObjectTerm(
		ast.Item(b.str("name"), b.text(doc.Tool.Name)),
		ast.Item(b.str("version"), b.text(doc.Tool.Version)),
	)
	if b.projected {
		// A Record, not an object: an object hashes its values, and so
		// would make OPA's value of every finding.
		return irvm.NewRecord([]irvm.Field{
			{Key: "schema_version", Value: ast.IntNumberTerm(doc.SchemaVersion)},
			{Key: "tool", Value: tool},
			{Key: "scans", Value: ast.ArrayTerm(scans...)},
			{Key: "findings", Value: ast.NewTerm(irvm.NewList(fts))},
		})
	}
	return ast.NewObject(
		ast.Item(b.str("schema_version"), ast.IntNumberTerm(doc.SchemaVersion)),
		ast.Item(b.str("tool"), tool),
		ast.Item(b.str("scans"), ast.ArrayTerm(scans...)),
		ast.Item(b.str("findings"), ast.ArrayTerm(fts...)),
	)
}

// inputBuilder builds one input. It shares one term per distinct string
// (terms in an input are never modified): a document repeats most of its
// strings (keys, kinds, severities, paths, packages, advisories), so sharing
// saves time and memory. Finding IDs are unique and are not shared.
type inputBuilder struct {
	strings map[string]*ast.Term
	terms   []ast.Term     // slab the string terms are cut from
	items   [][2]*ast.Term // scratch for one object's items; NewObject copies them
	// projected builds findings with projectedFinding, as irvm records
	// in an irvm list.
	projected bool
	fields    []irvm.Field // scratch for one record's fields
	slab      []irvm.Field // the records' fields are cut from
}

func newInputBuilder() *inputBuilder {
	return &inputBuilder{strings: make(map[string]*ast.Term, 1024)}
}

// str returns the shared term for a key or a value with few distinct values.
func (b *inputBuilder) str(s string) *ast.Term {
	if t, ok := b.strings[s]; ok {
		return t
	}
	t := ast.StringTerm(s)
	b.strings[s] = t
	return t
}

// text returns a new term for s, cut from a slab: one allocation for many
// terms.
func (b *inputBuilder) text(s string) *ast.Term {
	if len(b.terms) == 0 {
		b.terms = make([]ast.Term, 1024)
	}
	t := &b.terms[0]
	b.terms = b.terms[1:]
	t.Value = ast.String(s)
	return t
}

func (b *inputBuilder) strs(ss []string) *ast.Term {
	ts := make([]*ast.Term, len(ss))
	for i, s := range ss {
		ts[i] = b.text(s)
	}
	return ast.ArrayTerm(ts...)
}

// add appends key: value to the scratch items.
func (b *inputBuilder) add(key string, value *ast.Term) {
	b.items = append(b.items, ast.Item(b.str(key), value))
}

// addString appends key: s unless s is empty (omitempty).
func (b *inputBuilder) addString(key, s string) {
	if s != "" {
		b.add(key, b.text(s))
	}
}

// object returns an object of the scratch items from start on and drops
// them from the scratch.
func (b *inputBuilder) object(start int) *ast.Term {
	t := ast.ObjectTerm(b.items[start:]...)
	clear(b.items[start:])
	b.items = b.items[:start]
	return t
}

func (b *inputBuilder) scan(s *findings.Scan) *ast.Term {
	start := len(b.items)
	b.add("scanner", b.str(s.Scanner))
	b.add("target", b.str(s.Target))
	if s.Kind != "" {
		b.add("kind", b.str(s.Kind))
	}
	b.addString("source", s.Source)
	b.addString("config", s.Config)
	if len(s.Stats) > 0 {
		stats := len(b.items)
		for name, n := range s.Stats {
			b.add(name, ast.IntNumberTerm(n))
		}
		b.add("stats", b.object(stats))
	}
	if len(s.Warnings) > 0 {
		b.add("warnings", b.strs(s.Warnings))
	}
	return b.object(start)
}

func (b *inputBuilder) finding(f *findings.Finding) *ast.Term {
	start := len(b.items)
	b.add("id", b.text(f.ID))
	b.add("kind", b.str(string(f.Kind)))
	b.add("scanner", b.str(f.Scanner))
	b.add("rule_id", b.text(f.RuleID))
	b.add("title", b.text(f.Title))
	b.add("severity", b.str(string(f.Severity)))
	if f.CVSS != nil {
		cvss := len(b.items)
		b.add("score", ast.FloatNumberTerm(f.CVSS.Score))
		b.add("vector", b.text(f.CVSS.Vector))
		b.add("cvss", b.object(cvss))
	}
	loc := len(b.items)
	if f.Location.Target != "" {
		b.add("target", b.str(f.Location.Target))
	}
	b.add("path", b.str(f.Location.Path))
	if f.Location.Line != 0 {
		b.add("line", ast.IntNumberTerm(f.Location.Line))
	}
	if f.Location.Column != 0 {
		b.add("column", ast.IntNumberTerm(f.Location.Column))
	}
	if d := f.Location.Dockerfile; d != nil {
		o := len(b.items)
		b.add("path", b.str(d.Path))
		if d.Line != 0 {
			b.add("line", ast.IntNumberTerm(d.Line))
		}
		b.add("dockerfile", b.object(o))
	}
	b.add("location", b.object(loc))
	if p := f.Package; p != nil {
		pkg := len(b.items)
		b.add("name", b.text(p.Name))
		b.add("version", b.text(p.Version))
		b.add("ecosystem", b.str(p.Ecosystem))
		b.addString("purl", p.PURL)
		b.add("package", b.object(pkg))
	}
	if v := f.Vulnerability; v != nil {
		vuln := len(b.items)
		b.add("id", b.text(v.ID))
		b.add("aliases", b.strs(v.Aliases))
		b.addString("summary", v.Summary)
		b.addString("details", v.Details)
		b.add("fixed_versions", b.strs(v.FixedVersions))
		b.add("references", b.strs(v.References))
		b.addString("published", v.Published)
		b.addString("modified", v.Modified)
		if k := v.KEV; k != nil {
			o := len(b.items)
			b.add("cve", b.str(k.CVE))
			b.add("date_added", b.str(k.DateAdded))
			b.add("due_date", b.str(k.DueDate))
			b.add("known_ransomware", ast.BooleanTerm(k.KnownRansomware))
			b.add("kev", b.object(o))
		}
		if e := v.EPSS; e != nil {
			o := len(b.items)
			b.add("cve", b.str(e.CVE))
			b.add("score", ast.FloatNumberTerm(e.Score))
			b.add("percentile", ast.FloatNumberTerm(e.Percentile))
			b.add("date", b.str(e.Date))
			b.add("epss", b.object(o))
		}
		b.add("vulnerability", b.object(vuln))
	}
	if r := f.Reachability; r != nil {
		o := len(b.items)
		b.add("status", b.str(r.Status))
		b.addString("mode", r.Mode)
		if len(r.Symbols) > 0 {
			b.add("symbols", b.strs(r.Symbols))
		}
		if len(r.Trace) > 0 {
			b.add("trace", b.strs(r.Trace))
		}
		b.addString("reason", r.Reason)
		b.add("reachability", b.object(o))
	}
	if sec := f.Secret; sec != nil {
		o := len(b.items)
		b.add("redacted", b.text(sec.Redacted))
		b.add("confidence", b.str(sec.Confidence))
		b.addString("fingerprint", sec.Fingerprint)
		b.add("secret", b.object(o))
	}
	if im := f.Image; im != nil {
		o := len(b.items)
		b.add("ref", b.str(im.Ref))
		b.addString("path", im.Path)
		if l := im.Layer; l != nil {
			lo := len(b.items)
			b.add("index", ast.IntNumberTerm(l.Index))
			b.add("diff_id", b.str(l.DiffID))
			b.addString("command", l.Command)
			b.add("layer", b.object(lo))
		}
		b.add("image", b.object(o))
	}
	b.addString("baseline", f.Baseline)
	if c := f.Commit; c != nil {
		o := len(b.items)
		b.add("sha", b.str(c.SHA))
		b.addString("author_email", c.AuthorEmail)
		b.addString("date", c.Date)
		b.add("commit", b.object(o))
	}
	if x := f.VEX; x != nil {
		o := len(b.items)
		b.add("status", b.str(x.Status))
		b.addString("justification", x.Justification)
		b.addString("statement", x.Statement)
		b.add("source", b.str(x.Source))
		b.add("vex", b.object(o))
	}
	return b.object(start)
}

// projectedFinding is a finding with only the fields that the default
// policies (default/*.rego, unchanged: see chunkable) read, each as finding
// builds it: id, kind, rule_id, title, severity, location.path and .line,
// package.name and .version, vulnerability.fixed_versions,
// vulnerability.kev.cve and .date_added, vulnerability.epss.cve, .score
// and .percentile, reachability.status, secret.confidence, baseline,
// commit.sha, vex.status. A default policy that reads another field must
// add it here (TestChunksDecideAsOneEvaluation compares with the full
// input).
func (b *inputBuilder) projectedFinding(f *findings.Finding) *ast.Term {
	start := len(b.fields)
	b.field("id", b.text(f.ID))
	b.field("kind", b.str(string(f.Kind)))
	b.field("rule_id", b.text(f.RuleID))
	b.field("title", b.text(f.Title))
	b.field("severity", b.str(string(f.Severity)))
	loc := len(b.fields)
	b.field("path", b.str(f.Location.Path))
	if f.Location.Line != 0 {
		b.field("line", ast.IntNumberTerm(f.Location.Line))
	}
	b.field("location", b.record(loc))
	if p := f.Package; p != nil {
		pkg := len(b.fields)
		b.field("name", b.text(p.Name))
		b.field("version", b.text(p.Version))
		b.field("package", b.record(pkg))
	}
	if v := f.Vulnerability; v != nil {
		vuln := len(b.fields)
		b.field("fixed_versions", b.strs(v.FixedVersions))
		if k := v.KEV; k != nil {
			o := len(b.fields)
			b.field("cve", b.str(k.CVE))
			b.field("date_added", b.str(k.DateAdded))
			b.field("kev", b.record(o))
		}
		if e := v.EPSS; e != nil {
			o := len(b.fields)
			b.field("cve", b.str(e.CVE))
			b.field("score", ast.FloatNumberTerm(e.Score))
			b.field("percentile", ast.FloatNumberTerm(e.Percentile))
			b.field("epss", b.record(o))
		}
		b.field("vulnerability", b.record(vuln))
	}
	if r := f.Reachability; r != nil {
		o := len(b.fields)
		b.field("status", b.str(r.Status))
		b.field("reachability", b.record(o))
	}
	if sec := f.Secret; sec != nil {
		o := len(b.fields)
		b.field("confidence", b.str(sec.Confidence))
		b.field("secret", b.record(o))
	}
	if f.Baseline != "" {
		b.field("baseline", b.text(f.Baseline))
	}
	if c := f.Commit; c != nil {
		o := len(b.fields)
		b.field("sha", b.str(c.SHA))
		b.field("commit", b.record(o))
	}
	if x := f.VEX; x != nil {
		o := len(b.fields)
		b.field("status", b.str(x.Status))
		b.field("vex", b.record(o))
	}
	return b.record(start)
}

// field appends key: value to the scratch fields.
func (b *inputBuilder) field(key string, value *ast.Term) {
	b.fields = append(b.fields, irvm.Field{Key: key, Value: value})
}

// record returns a record of the scratch fields from start on, copied to a
// slab, and drops them from the scratch.
func (b *inputBuilder) record(start int) *ast.Term {
	n := len(b.fields) - start
	if len(b.slab) < n {
		b.slab = make([]irvm.Field, max(n, 4096))
	}
	fields := b.slab[:n:n]
	b.slab = b.slab[n:]
	copy(fields, b.fields[start:])
	clear(b.fields[start:])
	b.fields = b.fields[:start]
	return ast.NewTerm(irvm.NewRecord(fields))
}
