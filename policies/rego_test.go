package policies

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestRegoUnitTests runs the _test.rego files of the embedded default
// policies, as `opa test policies/default` would, in strict mode.
func TestRegoUnitTests(t *testing.T) {
	sources, err := readModules(true)
	if err != nil {
		t.Fatal(err)
	}
	modules := map[string]*ast.Module{}
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		m, err := ast.ParseModuleWithOpts(name, sources[name], ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		modules[name] = m
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	compiler := ast.NewCompiler().WithStrict(true).WithDefaultRegoVersion(ast.RegoV1)
	ch, err := tester.NewRunner().
		SetCompiler(compiler).
		SetModules(modules).
		RaiseBuiltinErrors(true).
		SetTimeout(time.Minute).
		RunTests(ctx, nil)
	if err != nil {
		t.Fatalf("compile Rego tests: %v", err)
	}
	ran := 0
	for r := range ch {
		ran++
		name := r.Package + "." + r.Name
		switch {
		case r.Error != nil:
			t.Errorf("%s: error: %v", name, r.Error)
		case r.Fail:
			t.Errorf("%s: FAIL (%s)", name, r.Location)
		case r.Skip:
			t.Errorf("%s: skipped; remove the todo_ prefix", name)
		default:
			t.Logf("%s: PASS", name)
		}
	}
	if ran == 0 {
		t.Fatal("no Rego tests ran")
	}
	// Every default policy module has its test module.
	for name := range sources {
		if strings.HasSuffix(name, "_test.rego") {
			continue
		}
		if _, ok := sources[strings.TrimSuffix(name, ".rego")+"_test.rego"]; !ok {
			t.Errorf("%s has no _test.rego", name)
		}
	}
}

// TestRegoFormatted checks that the default policies are as `opa fmt` writes
// them.
func TestRegoFormatted(t *testing.T) {
	sources, err := readModules(true)
	if err != nil {
		t.Fatal(err)
	}
	checkFormatted(t, sources)
}

// checkFormatted reports each source (name to Rego) that Format, as
// `secgate policy fmt` and opa fmt, would change.
func checkFormatted(t *testing.T, sources map[string]string) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		got, err := Format(name, sources[name])
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if string(got) != sources[name] {
			t.Errorf("%s is not formatted; opa fmt gives:\n%s", name, got)
		}
	}
}
