// Package irvm evaluates Rego compiled to OPA's intermediate representation
// (the "plan" target of opa/v1/compile, package opa/v1/ir): the imperative
// form that OPA's Wasm compiler starts from, run here directly on OPA's AST
// values and OPA's own built-in functions.
//
// It exists for speed. Over 100,000 findings OPA's tree-walking evaluator
// spends most of its time on unification and on caching intermediate
// documents; the plan has none of that left to do (OPA already resolved
// every variable to a local slot at compile time), so the same policy runs
// several times faster. The semantics are those of OPA's Wasm target
// (internal/compiler/wasm): statements in blocks, a failed statement
// leaves its block, BreakStmt leaves Index+1 blocks, rule functions of
// (input, data) are computed once per evaluation.
//
// A plan that uses what this package does not evaluate (with statements,
// dynamic calls, a built-in OPA does not provide) is refused by Compile;
// callers then use OPA's evaluator. Callers that need OPA's exact error
// text re-run OPA's evaluator when Eval fails.
package irvm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	opacompile "github.com/open-policy-agent/opa/v1/compile"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Program is a set of entrypoints (rules such as "secgate/vulnerabilities/deny")
// planned from Rego modules, ready to evaluate. It is safe for concurrent
// use: every Eval has its own state.
type Program struct {
	entrypoints []string
	plans       []*function // one per entrypoint, in order
	funcs       []*function
	files       []string // file names that statement locations index
}

// function is a planned function or plan: blocks of statements over a frame
// of nlocals local slots.
type function struct {
	index   int
	name    string
	params  []int
	ret     int
	blocks  [][]stmt
	nlocals int
	// memo: a function of (input, data) alone (a rule) is evaluated once
	// per Eval, as OPA's Wasm target does.
	memo bool
}

// Compile plans modules (file name → Rego v1 source) for entrypoints
// (slash-separated rule paths under data) with caps, and prepares the plan.
// An error means the modules cannot be evaluated here.
func Compile(ctx context.Context, modules map[string]string, caps *ast.Capabilities, entrypoints []string) (*Program, error) {
	b := &bundle.Bundle{Data: map[string]any{}}
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		m, err := ast.ParseModuleWithOpts(name, modules[name], ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		b.Modules = append(b.Modules, bundle.ModuleFile{Path: name, URL: name, Raw: []byte(modules[name]), Parsed: m})
	}
	c := opacompile.New().
		WithTarget(opacompile.TargetPlan).
		WithRegoVersion(ast.RegoV1).
		WithCapabilities(caps).
		WithEntrypoints(entrypoints...).
		WithBundle(b).
		WithOutput(io.Discard)
	if err := c.Build(ctx); err != nil {
		return nil, fmt.Errorf("plan policies: %w", err)
	}
	out := c.Bundle()
	if len(out.PlanModules) != 1 {
		return nil, fmt.Errorf("plan policies: %d plans, want 1", len(out.PlanModules))
	}
	var policy ir.Policy
	if err := json.Unmarshal(out.PlanModules[0].Raw, &policy); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return load(&policy, entrypoints)
}

// load converts a plan into Program's statements, resolving string
// constants, function calls and built-ins once.
func load(policy *ir.Policy, entrypoints []string) (*Program, error) {
	if policy.Static == nil || policy.Plans == nil {
		return nil, errors.New("read plan: no static section or plans")
	}
	l := &loader{funcs: map[string]*function{}, builtins: map[string]*builtin{}}
	for _, s := range policy.Static.Strings {
		l.strings = append(l.strings, ast.StringTerm(s.Value))
	}
	p := &Program{entrypoints: entrypoints}
	for _, f := range policy.Static.Files {
		p.files = append(p.files, f.Value)
	}
	l.files = p.files
	for _, bf := range policy.Static.BuiltinFuncs {
		fn := topdown.GetBuiltin(bf.Name)
		if fn == nil {
			return nil, fmt.Errorf("read plan: built-in %s is not available", bf.Name)
		}
		l.builtins[bf.Name] = &builtin{name: bf.Name, fn: fn}
	}
	var funcs []*ir.Func
	if policy.Funcs != nil {
		funcs = policy.Funcs.Funcs
	}
	// Declare every function before converting any: calls may go either way.
	for i, f := range funcs {
		fn := &function{index: i, name: f.Name, ret: int(f.Return), memo: len(f.Params) == 2}
		for _, a := range f.Params {
			fn.params = append(fn.params, int(a))
		}
		l.funcs[f.Name] = fn
		p.funcs = append(p.funcs, fn)
	}
	for i, f := range funcs {
		fn := p.funcs[i]
		l.begin(fn.ret)
		for _, a := range fn.params {
			l.local(ir.Local(a))
		}
		for _, b := range f.Blocks {
			stmts, err := l.block(b)
			if err != nil {
				return nil, fmt.Errorf("read plan: %s: %w", f.Name, err)
			}
			fn.blocks = append(fn.blocks, stmts)
		}
		fn.nlocals = l.end()
	}
	byName := map[string]*ir.Plan{}
	for _, pl := range policy.Plans.Plans {
		byName[pl.Name] = pl
	}
	for _, ep := range entrypoints {
		pl, ok := byName[ep]
		if !ok {
			return nil, fmt.Errorf("read plan: no plan for entrypoint %s", ep)
		}
		fn := &function{name: ep, params: []int{int(ir.Input), int(ir.Data)}}
		l.begin(int(ir.Data))
		for _, b := range pl.Blocks {
			stmts, err := l.block(b)
			if err != nil {
				return nil, fmt.Errorf("read plan: %s: %w", ep, err)
			}
			fn.blocks = append(fn.blocks, stmts)
		}
		fn.nlocals = l.end()
		p.plans = append(p.plans, fn)
	}
	return p, nil
}

// Entrypoints are the rules the program evaluates, in the order Eval
// returns their values.
func (p *Program) Entrypoints() []string { return p.entrypoints }
