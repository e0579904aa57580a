// Package policies owns secgate's policy engine: the default Rego policies
// embedded in the binary (default/*.rego) and the Engine that evaluates them
// over a findings document and turns their deny and warn rules into a
// findings.Decision.
//
// A policy is a Rego package under data.secgate that defines deny and/or
// warn as partial sets of objects with a string "msg" and, when the result
// is about one finding, that finding's "id" (or of strings, conftest's
// style: results about the whole scan). data.secgate.config is reserved
// for secgate's settings (fail_on, unknown_severity). See docs/policies.md.
//
// The engine fails closed: any problem with the policies or their evaluation
// is an error wrapping ErrPolicy, never a pass.
package policies

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown/print"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/printable"
)

// DefaultTimeout bounds one Decide when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// ErrPolicy is wrapped by every error New and Decide return: the policies
// could not be compiled or could not decide, so the gate has no verdict.
var ErrPolicy = errors.New("policy error")

// policyErr is what the engine was doing ("compile policies") and why it
// failed, usually with OPA's error text. It matches ErrPolicy.
type policyErr struct {
	op  string
	err error
}

func (e *policyErr) Error() string        { return e.op + ": " + e.err.Error() }
func (e *policyErr) Unwrap() error        { return e.err }
func (e *policyErr) Is(target error) bool { return target == ErrPolicy }

func policyError(op string, err error) error { return &policyErr{op: op, err: err} }

//go:embed default/*.rego
var defaultFS embed.FS

// Options configures an Engine.
type Options struct {
	// Data is merged into data (e.g. {"secgate":{"config":{"fail_on":"high"}}}).
	// data.secgate.config is validated: fail_on is one of critical, high,
	// medium, low; unknown_severity is deny or warn; deny_kev and
	// ignore_unfixed are booleans; min_epss is a number from 0 to 1; no
	// other keys.
	Data map[string]any
	// Timeout bounds one Decide; DefaultTimeout when zero or negative.
	Timeout time.Duration
	// Modules are policies added to the embedded defaults (or used instead
	// of them, with NoDefaults): file name → Rego source. See LoadModules.
	Modules    map[string]string
	NoDefaults bool
	// Waivers accept findings (see LoadWaivers). The policies see them as
	// data.secgate.config.waivers and today's date as
	// data.secgate.config.today.
	Waivers []findings.Waiver
	// Today is the date waivers expire against (YYYY-MM-DD); today in UTC
	// when empty.
	Today string
	// Locate returns the path, relative to the report root, of a module
	// of Modules (by its name), and whether it is a file under the root.
	// Results of the module's deny and warn rules then carry its
	// location. Nil locates nothing.
	Locate func(module string) (string, bool)
	// AllowNet lets policies call the network built-ins (http.send,
	// net.lookup_ip_addr); they are undefined otherwise.
	AllowNet bool
	// WaiversLocation is the waivers file, relative to the report root,
	// when it lies under it: the results of the secgate.waivers package
	// (a waiver expired, a waiver matched nothing) point there.
	WaiversLocation *findings.FileLine
	// Print receives what policies print() ("team/x.rego:12: text", one
	// line each); print statements are left out when it is nil.
	Print io.Writer
}

// Engine evaluates compiled policies. It is safe for concurrent use.
type Engine struct {
	query    rego.PreparedEvalQuery
	policies []policyRules
	timeout  time.Duration
	// waived is set when a policy defines data.secgate.waivers.waived,
	// vexWaived when one defines data.secgate.vex.waived.
	waived, vexWaived bool
	waivers           []findings.Waiver
	// planned evaluates the default policies from their plan; nil for any
	// other set of policies.
	planned *planned
}

// policyRules is one package under data.secgate that defines deny and/or
// warn rules, and the query variables bound to them.
type policyRules struct {
	path    ast.Ref // e.g. data.secgate.vulnerabilities
	name    string  // path without "data.", e.g. "secgate.vulnerabilities"
	denyVar string  // "" when the package has no deny rule
	warnVar string
	// meta describes the deny and warn rules, from METADATA annotations.
	denyMeta, warnMeta *findings.RuleMeta
	// loc is where the package's first deny and warn rules are written,
	// when that is a file under the report root.
	denyLoc, warnLoc *findings.FileLine
}

// New parses and compiles the default policies and prepares the query that
// Decide evaluates.
func New(ctx context.Context, opts Options) (*Engine, error) {
	defaults, err := defaultModules()
	if err != nil {
		return nil, policyError("load policies", err)
	}
	modules := defaults
	if opts.NoDefaults {
		// Waivers and VEX documents are the user's word, not a policy's:
		// their packages stay unless the team brings its own
		// secgate.waivers or secgate.vex.
		modules = map[string]string{}
		if !definesPackage(opts.Modules, "secgate.waivers") {
			modules[waiversModule] = defaults[waiversModule]
		}
		if !definesPackage(opts.Modules, "secgate.vex") {
			modules[vexModule] = defaults[vexModule]
		}
	}
	for name, src := range opts.Modules {
		if _, dup := modules[name]; dup {
			return nil, policyError("load policies", fmt.Errorf("%s is loaded twice", name))
		}
		modules[name] = src
	}
	return newEngine(ctx, opts, modules)
}

// waiversModule is the default policy that applies waivers, vexModule the
// one that weighs VEX statements.
const (
	waiversModule = "default/waivers.rego"
	vexModule     = "default/vex.rego"
)

// definesPackage reports whether one of the modules is in package pkg.
func definesPackage(modules map[string]string, pkg string) bool {
	for name, src := range modules {
		m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err == nil && strings.TrimPrefix(m.Package.Path.String(), "data.") == pkg {
			return true
		}
	}
	return false
}

// defaultModules returns the embedded default policies, without their tests,
// keyed by file name.
func defaultModules() (map[string]string, error) {
	return readModules(false)
}

// readModules reads the embedded .rego files; tests says whether to include
// the *_test.rego files.
func readModules(tests bool) (map[string]string, error) {
	names, err := fs.Glob(defaultFS, "default/*.rego")
	if err != nil {
		return nil, err
	}
	modules := make(map[string]string, len(names))
	for _, name := range names {
		if !tests && strings.HasSuffix(name, "_test.rego") {
			continue
		}
		src, err := defaultFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		modules[name] = string(src)
	}
	return modules, nil
}

// printHook writes what policies print, a line each, after the place of
// the print call.
type printHook struct {
	mu sync.Mutex
	w  io.Writer
}

func (h *printHook) Print(ctx print.Context, msg string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	where := "policy"
	if l := ctx.Location; l != nil {
		where = fmt.Sprintf("%s:%d", l.File, l.Row)
	}
	_, err := fmt.Fprintf(h.w, "%s: %s\n", where, printable.Line(msg))
	return err
}

// newEngine compiles modules (file name → Rego source) with opts. It is the
// seam for custom policies: New passes the defaults.
func newEngine(ctx context.Context, opts Options, modules map[string]string) (*Engine, error) {
	data, err := normalizeData(opts.Data)
	if err != nil {
		return nil, policyError("configure policies", err)
	}
	if err := addWaivers(data, opts.Waivers, opts.Today); err != nil {
		return nil, policyError("configure policies", err)
	}

	parsed, err := ParseModules(modules)
	if err != nil {
		return nil, policyError("parse policies", err)
	}

	store := inmem.NewFromObjectWithOpts(data, inmem.OptReturnASTValuesOnRead(true))
	compiler, err := compile(ctx, store, parsed, opts.AllowNet, opts.Print != nil)
	if err != nil {
		return nil, policyError("compile policies", explainNetwork(err, opts.AllowNet))
	}

	locate := func(string) (string, bool) { return "", false }
	if opts.Locate != nil {
		locate = func(module string) (string, bool) {
			if _, user := opts.Modules[module]; !user {
				return "", false // an embedded default
			}
			return opts.Locate(module)
		}
	}
	policies, err := discover(compiler, locate)
	if err != nil {
		return nil, policyError("compile policies", err)
	}
	if off := disabledDefaults(data); len(off) > 0 {
		policies = slices.DeleteFunc(policies, func(p policyRules) bool { return off[p.name] })
	}
	for i := range policies {
		if p := &policies[i]; p.name == "secgate.waivers" && opts.WaiversLocation != nil {
			p.denyLoc = cmp.Or(p.denyLoc, opts.WaiversLocation)
			p.warnLoc = cmp.Or(p.warnLoc, opts.WaiversLocation)
		}
	}
	waived, vexWaived := defines(compiler, waivedRef), defines(compiler, vexWaivedRef)
	body := queryBody(policies)
	if waived {
		body.Append(ast.Assign.Expr(ast.VarTerm(waivedVar), ast.RefTerm(waivedRef...)))
	}
	if vexWaived {
		body.Append(ast.Assign.Expr(ast.VarTerm(vexWaivedVar), ast.RefTerm(vexWaivedRef...)))
	}

	var hook print.Hook
	if opts.Print != nil {
		hook = &printHook{w: opts.Print}
	}
	prepare := func(body ast.Body) (rego.PreparedEvalQuery, error) {
		return rego.New(
			rego.Compiler(compiler),
			rego.EnablePrintStatements(hook != nil),
			rego.PrintHook(hook),
			rego.Capabilities(capabilities(opts.AllowNet)),
			rego.Store(store),
			rego.ParsedQuery(body),
			rego.StrictBuiltinErrors(true),
			// Keep results as AST terms: Decide checks their types (a set, an
			// object with a string msg) and skips the JSON conversion.
			rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
		).PrepareForEval(ctx)
	}
	query, err := prepare(body)
	if err != nil {
		return nil, policyError("prepare policy query", err)
	}

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	e := &Engine{query: query, policies: policies, timeout: timeout, waived: waived, vexWaived: vexWaived, waivers: opts.Waivers}
	if chunkable(modules, policies) {
		// Should planning fail, OPA's evaluator decides: same verdict, slower.
		e.planned, _ = newPlanned(ctx, modules, policies, waived, vexWaived, len(opts.Waivers), store, opts.AllowNet)
	}
	return e, nil
}

// ParseModules parses Rego v1 modules (file name → source), with METADATA
// annotations, in a stable order.
func ParseModules(modules map[string]string) (map[string]*ast.Module, error) {
	parsed := make(map[string]*ast.Module, len(modules))
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		m, err := ast.ParseModuleWithOpts(name, modules[name], ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		parsed[name] = m
	}
	return parsed, errors.Join(errs...)
}

// waivedRef is the rule the engine reads waivers from: an object mapping a
// finding id to the index (in data.secgate.waivers) of the waiver that
// accepts it. The default policy secgate.waivers defines it; a team may
// write its own.
var waivedRef = ast.MustParseRef("data.secgate.waivers.waived")

const waivedVar = "waived__"

// vexWaivedRef is the rule the engine reads the findings waived by their
// VEX statement from: a set of finding ids. The default policy secgate.vex
// defines it (not_affected and fixed waive); a team may write its own.
var vexWaivedRef = ast.MustParseRef("data.secgate.vex.waived")

const vexWaivedVar = "vexwaived__"

// defines reports whether a module defines the rule ref.
func defines(c *ast.Compiler, ref ast.Ref) bool {
	for _, m := range c.Modules {
		for _, r := range m.Rules {
			if r.Ref().Equal(ref) {
				return true
			}
		}
	}
	return false
}

// compile compiles the modules in strict mode, checking that no rule
// conflicts with the data in store.
func compile(ctx context.Context, store storage.Store, modules map[string]*ast.Module, allowNet, prints bool) (*ast.Compiler, error) {
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	defer store.Abort(ctx, txn)

	c := ast.NewCompiler().
		WithCapabilities(capabilities(allowNet)).
		WithStrict(true).
		WithDefaultRegoVersion(ast.RegoV1).
		WithUseTypeCheckAnnotations(true).
		WithSchemas(inputSchema()).
		WithEnablePrintStatements(prints).
		WithPathConflictsCheck(storage.NonEmpty(ctx, store, txn))
	if c.Compile(modules); c.Failed() {
		return nil, c.Errors
	}
	return c, nil
}

// discover finds every package under data.secgate that defines deny or warn
// rules. A deny or warn rule that would not be evaluated, or whose value
// would not be a set, is an error: a policy that silently does nothing must
// not pass the gate.
func discover(c *ast.Compiler, locate func(module string) (string, bool)) ([]policyRules, error) {
	secgateRef := ast.MustParseRef("data.secgate")
	configRef := ast.MustParseRef("data.secgate.config")
	byName := map[string]*policyRules{}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(c.Modules)) {
		m := c.Modules[name]
		if m.Package.Path.HasPrefix(configRef) {
			errs = append(errs, fmt.Errorf("%s: package %s: data.secgate.config is reserved for settings",
				name, strings.TrimPrefix(m.Package.Path.String(), "data.")))
			continue
		}
		for _, r := range m.Rules {
			ref := r.Ref()
			i := slices.IndexFunc(ref[1:], func(t *ast.Term) bool {
				return t.Value.Compare(ast.String("deny")) == 0 || t.Value.Compare(ast.String("warn")) == 0
			}) + 1
			if i == 0 {
				continue
			}
			rule := ref[i].Value.(ast.String)
			loc := r.Location.String()
			pkg := ref[:i]
			switch {
			case !pkg.HasPrefix(secgateRef):
				errs = append(errs, fmt.Errorf("%s: %s is outside data.secgate and would never be evaluated", loc, ref[:i+1]))
			case i != len(ref)-1 || r.Head.RuleKind() != ast.MultiValue || len(r.Head.Args) > 0:
				errs = append(errs, fmt.Errorf("%s: %s must be a partial set rule (%s contains result if { ... })", loc, ref[:i+1], string(rule)))
			default:
				p := strings.TrimPrefix(pkg.String(), "data.")
				if byName[p] == nil {
					byName[p] = &policyRules{path: pkg.Copy(), name: p}
				}
				var where *findings.FileLine
				if path, ok := locate(name); ok {
					where = &findings.FileLine{Path: path, Line: r.Location.Row}
				}
				if rule == "deny" {
					byName[p].denyVar = "deny"
					if byName[p].denyLoc == nil {
						byName[p].denyLoc = where
					}
				} else {
					byName[p].warnVar = "warn"
					if byName[p].warnLoc == nil {
						byName[p].warnLoc = where
					}
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(byName) == 0 {
		return nil, errors.New("no deny or warn rules under data.secgate")
	}
	meta := ruleMetadata(c)
	for _, p := range byName {
		p.denyMeta = meta.lookup(p.path, "deny")
		p.warnMeta = meta.lookup(p.path, "warn")
	}
	policies := make([]policyRules, 0, len(byName))
	for i, p := range slices.Sorted(maps.Keys(byName)) {
		pr := *byName[p]
		if pr.denyVar != "" {
			pr.denyVar = fmt.Sprintf("deny%d", i)
		}
		if pr.warnVar != "" {
			pr.warnVar = fmt.Sprintf("warn%d", i)
		}
		policies = append(policies, pr)
	}
	return policies, nil
}

// queryBody builds the one query Decide evaluates:
// deny0 := data.secgate.a.deny; warn0 := data.secgate.a.warn; deny1 := ...
func queryBody(policies []policyRules) ast.Body {
	var body ast.Body
	bind := func(v string, pkg ast.Ref, rule string) {
		ref := pkg.Append(ast.StringTerm(rule))
		body.Append(ast.Assign.Expr(ast.VarTerm(v), ast.RefTerm(ref...)))
	}
	for _, p := range policies {
		if p.denyVar != "" {
			bind(p.denyVar, p.path, "deny")
		}
		if p.warnVar != "" {
			bind(p.warnVar, p.path, "warn")
		}
	}
	return body
}

// normalizeData turns data into plain JSON values and validates
// data.secgate.config.
func normalizeData(data map[string]any) (map[string]any, error) {
	out := map[string]any{}
	if data == nil {
		return out, nil
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	sg, ok := out["secgate"]
	if !ok {
		return out, nil
	}
	sgObj, ok := sg.(map[string]any)
	if !ok {
		return nil, errors.New("data.secgate must be an object")
	}
	cfg, ok := sgObj["config"]
	if !ok {
		return out, nil
	}
	cfgObj, ok := cfg.(map[string]any)
	if !ok {
		return nil, errors.New("data.secgate.config must be an object")
	}
	allowed := map[string][]string{
		"fail_on":          {"critical", "high", "medium", "low"},
		"unknown_severity": {"deny", "warn"},
	}
	for _, k := range slices.Sorted(maps.Keys(cfgObj)) {
		if k == "waivers" || k == "today" {
			return nil, fmt.Errorf("data.secgate.config.%s is set by secgate (use --waivers)", k)
		}
		switch k {
		case "deny_kev", "ignore_unfixed":
			if _, ok := cfgObj[k].(bool); !ok {
				return nil, fmt.Errorf("data.secgate.config.%s: invalid value %v (want true or false)", k, cfgObj[k])
			}
			continue
		case "disabled":
			list, ok := cfgObj[k].([]any)
			if !ok {
				return nil, fmt.Errorf("data.secgate.config.disabled: invalid value %v (want a list of %s)", cfgObj[k], strings.Join(disableable, ", "))
			}
			for _, v := range list {
				if name, _ := v.(string); !slices.Contains(disableable, name) {
					return nil, fmt.Errorf("data.secgate.config.disabled: invalid value %v (want a list of %s)", v, strings.Join(disableable, ", "))
				}
			}
			continue
		case "min_epss":
			// JSON numbers only: a quoted "0.5" would compare as a string.
			if f, ok := cfgObj[k].(float64); !ok || f < 0 || f > 1 {
				return nil, fmt.Errorf("data.secgate.config.min_epss: invalid value %v (want a number from 0 to 1)", cfgObj[k])
			}
			continue
		}
		values, ok := allowed[k]
		if !ok {
			return nil, fmt.Errorf("data.secgate.config.%s: unknown setting (want %s)", k, strings.Join(settings, ", "))
		}
		if v, _ := cfgObj[k].(string); !slices.Contains(values, v) {
			return nil, fmt.Errorf("data.secgate.config.%s: invalid value %v (want %s)", k, cfgObj[k], strings.Join(values, ", "))
		}
	}
	return out, nil
}

// settings are the keys of data.secgate.config a team may set.
var settings = []string{"fail_on", "unknown_severity", "deny_kev", "min_epss", "ignore_unfixed", "disabled"}

// disableable are the default packages (secgate.NAME) that
// data.secgate.config.disabled may turn off, each alone, without copying
// the others (--no-default-policies drops them all).
var disableable = []string{"vulnerabilities", "secrets", "misconfigurations"}

// disabledDefaults are the default packages data (normalized) turns off.
func disabledDefaults(data map[string]any) map[string]bool {
	sg, _ := data["secgate"].(map[string]any)
	cfg, _ := sg["config"].(map[string]any)
	list, _ := cfg["disabled"].([]any)
	out := map[string]bool{}
	for _, v := range list {
		if name, ok := v.(string); ok {
			out["secgate."+name] = true
		}
	}
	return out
}

// Verdict is what the policies decided about a document: the decision over
// the whole of it and, for each finding, its own decision and waiver.
type Verdict struct {
	findings.Decision
	waived  map[string]int // finding id → index in waivers
	waivers []findings.Waiver
	// vexWaived are the findings waived by their VEX statement
	// (data.secgate.vex.waived).
	vexWaived map[string]bool
}

// Outcome is the decision on the finding with id: deny if a deny result has
// its id, else waived if a waiver accepts it or the policy waives it by its
// VEX statement, else warn if a warn result has its id, else allow; and
// the waiver, when a waiver accepts it (a finding waived by its VEX
// statement alone has none: the finding's VEX says why).
func (v *Verdict) Outcome(id string) (string, *findings.Waiver) {
	if id == "" {
		return findings.DecisionAllow, nil // results without an id are about the document
	}
	if i, ok := v.waived[id]; ok && v.decided(v.Waived, id) {
		w := v.waivers[i]
		return findings.DecisionWaived, &w
	}
	if v.vexWaived[id] && v.decided(v.Waived, id) {
		return findings.DecisionWaived, nil
	}
	switch {
	case v.decided(v.Deny, id):
		return findings.DecisionDeny, nil
	case v.decided(v.Warn, id):
		return findings.DecisionWarn, nil
	}
	return findings.DecisionAllow, nil
}

func (v *Verdict) decided(rs []findings.PolicyResult, id string) bool {
	_, ok := slices.BinarySearchFunc(rs, id, func(r findings.PolicyResult, id string) int { return cmp.Compare(r.ID, id) })
	return ok
}

// Apply records the verdict in doc: doc.Decision, and each finding's
// decision and waiver.
func (v *Verdict) Apply(doc *findings.Document) {
	d := v.Decision
	doc.Decision = &d
	for i := range doc.Findings {
		f := &doc.Findings[i]
		f.Decision, f.Waiver = v.Outcome(f.ID)
	}
}

// Decide evaluates the policies over doc and returns the verdict; doc is not
// changed (Verdict.Apply records it). The input the policies see is doc
// without any decision. Errors wrap ErrPolicy.
//
// With only the default policies loaded (whose deny and warn rules each
// read one finding at a time) a large document is evaluated in chunks of
// findings on GOMAXPROCS cores and the results merged (see decideChunked);
// otherwise in one evaluation over the whole document. Both give the same
// verdict.
func (e *Engine) Decide(ctx context.Context, doc *findings.Document) (*Verdict, error) {
	if doc == nil {
		return nil, policyError("evaluate policies", errors.New("no findings document"))
	}
	if err := ctx.Err(); err != nil {
		return nil, policyError("evaluate policies", err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	var (
		raw *rawResults
		err error
	)
	if e.planned != nil {
		raw, err = e.planned.decide(ctx, doc)
		if err != nil && ctx.Err() != nil {
			return nil, policyError("evaluate policies", fmt.Errorf("%w (timeout %s): %w", ctx.Err(), e.timeout, err))
		}
		if err != nil {
			raw = nil // OPA's evaluator decides, and says why it cannot
		}
	}
	if raw == nil {
		if raw, err = e.evaluate(ctx, e.query, inputValue(doc), e.policies, e.waived, e.vexWaived); err != nil {
			return nil, err
		}
	}
	return e.verdict(raw), nil
}

// rawResults are the deny and warn results, the waived object and the
// findings waived by VEX read from one or more evaluations, before waivers
// are applied.
type rawResults struct {
	deny, warn []findings.PolicyResult
	waived     map[string]int
	vexWaived  map[string]bool
}

// evaluate runs query over input and reads the results of policies (their
// rules the query binds) and, when waived is set, the waived object; when
// vexWaived is, data.secgate.vex.waived.
func (e *Engine) evaluate(ctx context.Context, query rego.PreparedEvalQuery, input ast.Value, policies []policyRules, waived, vexWaived bool) (*rawResults, error) {
	rs, err := query.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w (timeout %s): %w", ctxErr, e.timeout, err)
		}
		return nil, policyError("evaluate policies", err)
	}
	if len(rs) != 1 {
		return nil, policyError("evaluate policies", fmt.Errorf("query returned %d results, want 1 (a deny or warn rule is undefined)", len(rs)))
	}
	out := &rawResults{waived: map[string]int{}}
	for _, p := range policies {
		if p.denyVar != "" {
			if out.deny, err = appendResults(out.deny, rs[0].Bindings[p.denyVar], p.name, "deny", p.denyMeta, p.denyLoc); err != nil {
				return nil, policyError("read policy results", err)
			}
		}
		if p.warnVar != "" {
			if out.warn, err = appendResults(out.warn, rs[0].Bindings[p.warnVar], p.name, "warn", p.warnMeta, p.warnLoc); err != nil {
				return nil, policyError("read policy results", err)
			}
		}
	}
	if waived {
		if out.waived, err = readWaived(rs[0].Bindings[waivedVar], len(e.waivers)); err != nil {
			return nil, policyError("read policy results", err)
		}
	}
	if vexWaived {
		if out.vexWaived, err = readVEXWaived(rs[0].Bindings[vexWaivedVar]); err != nil {
			return nil, policyError("read policy results", err)
		}
	}
	return out, nil
}

// verdict applies the waivers to the results, sorts them and removes
// duplicates.
func (e *Engine) verdict(raw *rawResults) *Verdict {
	waived := raw.waived
	dec := findings.Decision{Result: findings.ResultPass, Deny: raw.deny, Warn: raw.warn}
	dec.Waived = []findings.PolicyResult{}
	keep := func(rs []findings.PolicyResult) []findings.PolicyResult {
		out := rs[:0]
		for _, r := range rs {
			if _, ok := waived[r.ID]; (ok || raw.vexWaived[r.ID]) && r.ID != "" {
				dec.Waived = append(dec.Waived, r)
				continue
			}
			out = append(out, r)
		}
		return out
	}
	dec.Deny, dec.Warn = keep(dec.Deny), keep(dec.Warn)
	if dec.Deny == nil {
		dec.Deny = []findings.PolicyResult{}
	}
	if dec.Warn == nil {
		dec.Warn = []findings.PolicyResult{}
	}
	// Each list on its own core: over 100,000 findings sorting is most of
	// what Decide does after evaluation.
	var wg sync.WaitGroup
	for _, rs := range [][]findings.PolicyResult{dec.Deny, dec.Warn, dec.Waived} {
		wg.Go(func() { sortResults(rs) })
	}
	wg.Wait()
	dec.Deny = slices.CompactFunc(dec.Deny, samePolicyResult)
	dec.Warn = slices.CompactFunc(dec.Warn, samePolicyResult)
	dec.Waived = slices.CompactFunc(dec.Waived, samePolicyResult)
	if len(dec.Deny) > 0 {
		dec.Result = findings.ResultFail
	}
	return &Verdict{Decision: dec, waived: waived, waivers: e.waivers, vexWaived: raw.vexWaived}
}

// samePolicyResult reports whether two sorted results are the same (the
// rule metadata and location of one package's rule are shared pointers).
func samePolicyResult(a, b findings.PolicyResult) bool {
	return a.ID == b.ID && a.Policy == b.Policy && a.Msg == b.Msg && a.Rule == b.Rule && a.Location == b.Location
}

// readWaived reads data.secgate.waivers.waived: finding id → waiver index.
func readWaived(v any, n int) (map[string]int, error) {
	const where = "data.secgate.waivers.waived"
	t, ok := v.(*ast.Term)
	if !ok {
		return nil, fmt.Errorf("%s is undefined", where)
	}
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("%s is a %s, want an object of finding id to waiver index", where, ast.ValueName(t.Value))
	}
	out := make(map[string]int, obj.Len())
	err := obj.Iter(func(k, v *ast.Term) error {
		id, ok := k.Value.(ast.String)
		num, ok2 := v.Value.(ast.Number)
		if !ok || !ok2 {
			return fmt.Errorf("%s: %v: %v, want a finding id and a waiver index", where, k, v)
		}
		i, ok := num.Int()
		if !ok || i < 0 || i >= n {
			return fmt.Errorf("%s: %v: waiver index %v out of range", where, k, v)
		}
		out[string(id)] = i
		return nil
	})
	return out, err
}

// readVEXWaived reads data.secgate.vex.waived: a set of finding ids.
func readVEXWaived(v any) (map[string]bool, error) {
	const where = "data.secgate.vex.waived"
	t, ok := v.(*ast.Term)
	if !ok {
		return nil, fmt.Errorf("%s is undefined", where)
	}
	return vexWaivedSet(t, nil)
}

// vexWaivedSet reads a set of finding ids (from elems, its elements, when
// given: the plan's).
func vexWaivedSet(t *ast.Term, elems []*ast.Term) (map[string]bool, error) {
	const where = "data.secgate.vex.waived"
	set, ok := t.Value.(ast.Set)
	if !ok {
		return nil, fmt.Errorf("%s is a %s, want a set of finding ids", where, ast.ValueName(t.Value))
	}
	out := make(map[string]bool, set.Len())
	one := func(e *ast.Term) error {
		id, ok := e.Value.(ast.String)
		if !ok {
			return fmt.Errorf("%s: element %v is a %s, want a finding id", where, e, ast.ValueName(e.Value))
		}
		out[string(id)] = true
		return nil
	}
	if elems == nil {
		return out, set.Iter(one)
	}
	for _, e := range elems {
		if err := one(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// appendResults appends the elements of one deny or warn set to dst.
func appendResults(dst []findings.PolicyResult, v any, policy, rule string, meta *findings.RuleMeta, loc *findings.FileLine) ([]findings.PolicyResult, error) {
	return appendElems(dst, v, nil, policy, rule, meta, loc)
}

// appendElems is appendResults reading the set's elements from elems when
// they are given: the same elements, in any order (verdict sorts them).
func appendElems(dst []findings.PolicyResult, v any, elems []*ast.Term, policy, rule string, meta *findings.RuleMeta, loc *findings.FileLine) ([]findings.PolicyResult, error) {
	where := "data." + policy + "." + rule
	t, ok := v.(*ast.Term)
	if !ok || t == nil {
		return nil, fmt.Errorf("%s is undefined", where)
	}
	set, ok := t.Value.(ast.Set)
	if !ok {
		return nil, fmt.Errorf("%s is a %s, want a set", where, ast.ValueName(t.Value))
	}
	one := func(elem *ast.Term) error {
		r := findings.PolicyResult{Policy: policy, Rule: meta, Location: loc}
		// A string is the message of a result about the whole scan, as
		// conftest's `deny contains msg if { ... }` writes it.
		if msg, ok := elem.Value.(ast.String); ok {
			r.Msg = string(msg)
			dst = append(dst, r)
			return nil
		}
		obj, ok := elem.Value.(ast.Object)
		if !ok {
			return fmt.Errorf("%s: element %v is a %s, want a string or an object with a string msg", where, elem, ast.ValueName(elem.Value))
		}
		mt := obj.Get(ast.InternedTerm("msg"))
		if mt == nil {
			return fmt.Errorf("%s: element %v has no msg", where, elem)
		}
		msg, ok := mt.Value.(ast.String)
		if !ok {
			return fmt.Errorf("%s: element %v: msg is a %s, want a string", where, elem, ast.ValueName(mt.Value))
		}
		r.Msg = string(msg)
		if it := obj.Get(ast.InternedTerm("id")); it != nil {
			id, ok := it.Value.(ast.String)
			if !ok {
				return fmt.Errorf("%s: element %v: id is a %s, want a string", where, elem, ast.ValueName(it.Value))
			}
			r.ID = string(id)
		}
		dst = append(dst, r)
		return nil
	}
	if elems == nil {
		err := set.Iter(one)
		return dst, err
	}
	dst = slices.Grow(dst, len(elems))
	for _, e := range elems {
		if err := one(e); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// sortResults orders results by finding ID (so Outcome can search them),
// then policy and message.
//
// The order is stable: results that compare equal keep their order (in
// Waived, deny results before warn results), whichever way they were
// evaluated. It sorts by position as the last key rather than with
// slices.SortStableFunc, whose merges took a fifth of a 100,000-finding
// decision.
func sortResults(rs []findings.PolicyResult) {
	// Sort positions, not the results: a swap moves one int, not a
	// 64-byte struct.
	idx := make([]int, len(rs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int {
		a, b := &rs[i], &rs[j]
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		if c := strings.Compare(a.Policy, b.Policy); c != 0 {
			return c
		}
		if c := strings.Compare(a.Msg, b.Msg); c != 0 {
			return c
		}
		return cmp.Compare(i, j)
	})
	sorted := make([]findings.PolicyResult, len(rs))
	for i, j := range idx {
		sorted[i] = rs[j]
	}
	copy(rs, sorted)
}
