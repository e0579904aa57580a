package irvm

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// TestEvalAsOPA evaluates small policies from their plan and with OPA's
// evaluator, the oracle, and wants the same value of every rule.
func TestEvalAsOPA(t *testing.T) {
	input := `{"fs": [
		{"id": "a", "name": "x", "version": "1", "n": 3, "tags": ["p", "q"], "loc": {"path": "go.sum", "line": 3}},
		{"id": "b", "name": "y", "n": 12, "tags": [], "loc": {"path": "a/b"}},
		{"id": "c", "name": "z", "version": "", "n": 1, "tags": ["r"], "loc": {"path": "go.sum", "line": 3}}
	]}`
	tests := []struct {
		name, module string
		rules        []string
	}{
		{"concat of a new array", `package t
msgs contains concat("", [f.id, ": ", f.name]) if some f in input.fs`, []string{"msgs"}},
		{"concat whose array is read again", `package t
msgs contains [s, count(parts)] if {
	some f in input.fs
	parts := [f.id, f.name]
	s := concat("-", parts)
	count(parts) == 2
}`, []string{"msgs"}},
		{"concat of a non-string is OPA's error", `package t
msgs contains concat("", [f.id, f.n]) if some f in input.fs`, []string{"msgs"}},
		{"else branches reuse slots", `package t
label(f) := concat("", [f.name, "@", f.version]) if {
	f.version != ""
} else := concat("", [f.name, "!"]) if {
	f.name != "y"
} else := "none"
labels contains label(f) if some f in input.fs`, []string{"labels"}},
		{"arrays of one and none", `package t
one contains concat(", ", [f.id]) if some f in input.fs
none := concat(", ", [])
tags contains concat("+", f.tags) if some f in input.fs`, []string{"one", "none", "tags"}},
		{"not and comparisons", `package t
small contains f.id if {
	some f in input.fs
	not f.n > 10
}
big := [f.id | some f in input.fs; f.n > 10]`, []string{"small", "big"}},
		{"objects and sets", `package t
by_id := {f.id: {"name": f.name, "tags": {t | some t in f.tags}} | some f in input.fs}
names := {f.name | some f in input.fs}`, []string{"by_id", "names"}},
		{"complete rule conflict", `package t
v := f.id if some f in input.fs`, []string{"v"}},
		{"object.get and defaults", `package t
versions contains object.get(f, "version", "-") if some f in input.fs
default missing := "no"
missing := "yes" if input.nothing`, []string{"versions", "missing"}},
		// The cases below are about an input of Records and Lists: each
		// case runs on both inputs.
		{"findings grouped, then read", `package t
by_name := {n: fs | some n in {"x", "y"}; fs := [f | some f in input.fs; f.name == n]}
lines contains object.get(f, ["loc", "line"], 0) if some f in by_name.x
paths contains object.get(f, ["loc", "path", "deeper"], "none") if some f in by_name.y
keys := object.get(input.fs[0], [], "-")`, []string{"by_name", "lines", "paths", "keys"}},
		{"records compared, counted, in sets and built-ins", `package t
same_loc contains [a.id, b.id] if {
	some a in input.fs
	some b in input.fs
	a.id < b.id
	a.loc == b.loc
}
locs := {f.loc | some f in input.fs}
sizes contains count(f) if some f in input.fs
texts contains sprintf("%v", [f.loc]) if some f in input.fs
marshalled := json.marshal(input.fs[1])
fields contains k if some k, _ in input.fs[0]
first := input.fs[0]
all := input.fs`, []string{"same_loc", "locs", "sizes", "texts", "marshalled", "fields", "first", "all"}},
		{"records as values of objects and function results", `package t
loc_of(f) := f.loc
by_id[f.id] := loc_of(f) if some f in input.fs
merged := object.union({"a": input.fs[0].loc}, {"b": input.fs[1].loc})
is_obj contains f.id if { some f in input.fs; is_object(f.loc) }
is_arr := is_array(input.fs)`, []string{"by_id", "merged", "is_obj", "is_arr"}},
	}
	ctx := context.Background()
	in := ast.MustParseTerm(input).Value
	for _, tc := range tests {
		for _, lazyInput := range []bool{false, true} {
			name := tc.name
			evalIn := in
			if lazyInput {
				name, evalIn = name+"/records", lazyOf(in)
			}
			t.Run(name, func(t *testing.T) {
				var entrypoints []string
				for _, r := range tc.rules {
					entrypoints = append(entrypoints, "t/"+r)
				}
				p, err := Compile(ctx, map[string]string{"t.rego": tc.module}, ast.CapabilitiesForThisVersion(), entrypoints)
				if err != nil {
					t.Fatal(err)
				}
				got, gotErr := p.Eval(ctx, evalIn, ast.NewObject(), nil)
				for i, r := range tc.rules {
					q, err := rego.New(
						rego.Query("data.t."+r),
						rego.Module("t.rego", tc.module),
						rego.ParsedInput(in),
						rego.StrictBuiltinErrors(true),
						rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
					).PrepareForEval(ctx)
					if err != nil {
						t.Fatal(err)
					}
					rs, wantErr := q.Eval(ctx, rego.EvalParsedInput(in))
					if wantErr != nil {
						if gotErr == nil {
							t.Fatalf("%s: no error, OPA's evaluator: %v", r, wantErr)
						}
						if strings.Contains(wantErr.Error(), "conflict") && !errors.Is(gotErr, ErrConflict) {
							t.Fatalf("%s: error %v, want a conflict (OPA: %v)", r, gotErr, wantErr)
						}
						return
					}
					if gotErr != nil {
						t.Fatalf("%s: %v, OPA's evaluator: no error", r, gotErr)
					}
					var want *ast.Term
					if len(rs) == 1 {
						want = rs[0].Expressions[0].Value.(*ast.Term)
					}
					switch {
					case want == nil && got[i].Term == nil:
					case want == nil || got[i].Term == nil || want.Value.Compare(got[i].Term.Value) != 0:
						t.Errorf("%s = %v, OPA's evaluator: %v", r, got[i].Term, want)
					}
				}
			})
		}
	}
}

// lazyOf is v with every object a Record and every array a List, the way
// secgate hands findings to Eval.
func lazyOf(v ast.Value) ast.Value {
	switch v := v.(type) {
	case ast.Object:
		var fields []Field
		for _, k := range v.Keys() {
			fields = append(fields, Field{Key: string(k.Value.(ast.String)), Value: ast.NewTerm(lazyOf(v.Get(k).Value))})
		}
		return NewRecord(fields)
	case *ast.Array:
		var elems []*ast.Term
		for i := range v.Len() {
			elems = append(elems, ast.NewTerm(lazyOf(v.Elem(i).Value)))
		}
		return NewList(elems)
	}
	return v
}
