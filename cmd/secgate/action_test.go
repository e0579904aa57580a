package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"
)

// The GitHub Action (action.yml) and the example workflows
// (.github/workflows) are checked with actionlint, run as a library, and
// action.yml's security rules are asserted on its YAML. actionlint runs
// shellcheck on the scripts when shellcheck is on PATH, and skips that
// check otherwise (.ci/run installs it and sets SECGATE_REQUIRE_SHELLCHECK,
// which makes its absence a failure).

// actionInputs are the inputs docs/ci.md documents; action.yml may have more.
var actionInputs = []string{
	"path", "image", "policy", "data", "waivers", "fail-on", "offline-db",
	"baseline", "fingerprint-key", "args", "upload", "category",
}

var actionOutputs = []string{"result", "exit-code", "findings", "sarif-file"}

// newActionlint returns a linter and the project at the repository root: the
// project is what makes actionlint read the local action `./` (action.yml)
// and check the inputs and outputs a workflow uses against it.
func newActionlint(t *testing.T) (*actionlint.Linter, *actionlint.Project, *bytes.Buffer) {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	proj, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	opts := &actionlint.LinterOptions{Color: actionlint.ColorOptionKindNever, WorkingDir: root}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = sc
	} else if os.Getenv("SECGATE_REQUIRE_SHELLCHECK") != "" {
		t.Fatal("shellcheck is not on PATH and SECGATE_REQUIRE_SHELLCHECK is set")
	} else {
		t.Log("shellcheck is not on PATH: the scripts are not shellchecked")
	}
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	return l, proj, &out
}

func TestActionlintWorkflows(t *testing.T) {
	l, proj, out := newActionlint(t)
	var files []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(proj.WorkflowsDir(), pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no workflow in %s", proj.WorkflowsDir())
	}
	errs, err := l.LintFiles(files, proj)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: %v", e)
	}
	if len(errs) > 0 {
		t.Logf("actionlint output:\n%s", out)
	}
}

// TestActionlintReadsLocalAction makes sure the workflow check above is
// checked against action.yml: actionlint finds the local action and reports
// an input and an output it does not declare.
func TestActionlintReadsLocalAction(t *testing.T) {
	l, proj, _ := newActionlint(t)

	meta, _, err := actionlint.NewLocalActionsCache(proj, nil).FindMetadata("./")
	if err != nil {
		t.Fatal(err)
	}
	if meta == nil {
		t.Fatal("actionlint found no action metadata for ./")
	}
	if meta.Runs.Using != "composite" {
		t.Errorf("actionlint reads runs.using %q", meta.Runs.Using)
	}
	for _, in := range actionInputs {
		if _, ok := meta.Inputs[in]; !ok {
			t.Errorf("actionlint sees no input %q", in)
		}
	}
	for _, o := range actionOutputs {
		if _, ok := meta.Outputs[o]; !ok {
			t.Errorf("actionlint sees no output %q", o)
		}
	}

	probe := `on: push
jobs:
  probe:
    runs-on: ubuntu-latest
    steps:
      - id: gate
        uses: ./
        with:
          path: .
          not-an-input: x
      - run: echo "$R"
        env:
          R: ${{ steps.gate.outputs.not-an-output }}
`
	errs, err := l.Lint("probe.yml", []byte(probe), proj)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`input "not-an-input" is not defined`, `"not-an-output" is not defined`} {
		if !slices.ContainsFunc(errs, func(e *actionlint.Error) bool { return strings.Contains(e.Message, want) }) {
			t.Errorf("actionlint did not report %s; errors: %v", want, errs)
		}
	}
	if len(errs) != 2 {
		t.Errorf("%d errors, want 2: %v", len(errs), errs)
	}
}

// actionMetadata is the part of action.yml the tests check.
type actionMetadata struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Inputs      map[string]struct {
		Description string  `yaml:"description"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	Name  string            `yaml:"name"`
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
	With  map[string]string `yaml:"with"`
}

func readActionMetadata(t *testing.T) (actionMetadata, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionMetadata
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a, data
}

func TestActionMetadata(t *testing.T) {
	a, _ := readActionMetadata(t)
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using %q, want composite", a.Runs.Using)
	}
	for _, in := range actionInputs {
		if i, ok := a.Inputs[in]; !ok {
			t.Errorf("no input %q", in)
		} else if i.Description == "" {
			t.Errorf("input %q has no description", in)
		}
	}
	for in, want := range map[string]string{"path": ".", "upload": "true", "category": "secgate"} {
		if d := a.Inputs[in].Default; d == nil || *d != want {
			t.Errorf("input %q: default %v, want %q", in, d, want)
		}
	}
	for _, o := range actionOutputs {
		if out, ok := a.Outputs[o]; !ok {
			t.Errorf("no output %q", o)
		} else if !strings.Contains(out.Value, "steps.scan.outputs.") {
			t.Errorf("output %q = %q, not from the scan step", o, out.Value)
		}
	}

	steps := a.Runs.Steps
	find := func(what string, match func(actionStep) bool) actionStep {
		t.Helper()
		i := slices.IndexFunc(steps, match)
		if i < 0 {
			t.Fatalf("no step %s", what)
		}
		return steps[i]
	}
	// Every expression outside run: (if, env, with) may read inputs; a
	// script never contains one.
	for _, s := range steps {
		if s.Run == "" {
			continue
		}
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %q: run: contains ${{ (pass values through env:)", s.Name)
		}
		if s.Shell != "bash" {
			t.Errorf("step %q: shell %q, want bash", s.Name, s.Shell)
		}
	}
	// Every input is used, in an env:, with: or if: of a step.
	for in := range a.Inputs {
		ref := "inputs." + in
		if !slices.ContainsFunc(steps, func(s actionStep) bool {
			if strings.Contains(s.If, ref) {
				return true
			}
			for _, m := range []map[string]string{s.Env, s.With} {
				for _, v := range m {
					if strings.Contains(v, ref) {
						return true
					}
				}
			}
			return false
		}) {
			t.Errorf("input %q is not used by any step", in)
		}
	}

	setup := find("actions/setup-go", func(s actionStep) bool { return strings.HasPrefix(s.Uses, "actions/setup-go@") })
	if v := setup.With["go-version-file"]; !strings.Contains(v, "github.action_path") || !strings.HasSuffix(v, "/go.mod") {
		t.Errorf("setup-go go-version-file %q, want the action's go.mod", v)
	}
	if v := setup.With["cache-dependency-path"]; !strings.Contains(v, "github.action_path") || !strings.HasSuffix(v, "/go.sum") {
		t.Errorf("setup-go cache-dependency-path %q, want the action's go.sum", v)
	}
	build := find("building secgate", func(s actionStep) bool { return strings.Contains(s.Run, "go build") })
	if !strings.Contains(build.Run, "./cmd/secgate") || !strings.Contains(build.Run, `"$GITHUB_ACTION_PATH"`) {
		t.Errorf("the build step does not build ./cmd/secgate in the action's path:\n%s", build.Run)
	}
	scan := find("scan", func(s actionStep) bool { return s.ID == "scan" })
	for _, want := range []string{"--format sarif", `"$RUNNER_TEMP`, `"$sarif"`, "status=$status", `>> "$GITHUB_OUTPUT"`} {
		if !strings.Contains(scan.Run, want) {
			t.Errorf("the scan step does not contain %s:\n%s", want, scan.Run)
		}
	}
	upload := find("upload-sarif", func(s actionStep) bool {
		return strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif@")
	})
	if !strings.Contains(upload.If, "always()") || !strings.Contains(upload.If, "inputs.upload == 'true'") {
		t.Errorf("upload step if: %q, want always() && inputs.upload == 'true'", upload.If)
	}
	if !strings.Contains(upload.With["category"], "inputs.category") || upload.With["sarif_file"] == "" {
		t.Errorf("upload step with: %v", upload.With)
	}
	// The last step fails the job with the gate's exit code, after the upload.
	last := steps[len(steps)-1]
	if slices.IndexFunc(steps, func(s actionStep) bool { return s.Uses == upload.Uses }) > len(steps)-2 ||
		!strings.Contains(last.If, "always()") || !strings.Contains(last.Env["STATUS"], "steps.scan.outputs.status") ||
		!strings.Contains(last.Run, "exit") {
		t.Errorf("the last step %q does not fail the job with the scan's exit code after the upload", last.Name)
	}
}

// TestActionlintActionSteps lints action.yml's steps as the steps of a
// reusable workflow whose inputs are the action's: actionlint does not lint
// action metadata itself, and this way the expressions, the inputs and
// outputs of the actions used (setup-go) and, with shellcheck, the scripts
// are checked too.
func TestActionlintActionSteps(t *testing.T) {
	a, data := readActionMetadata(t)
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	runs := mappingValue(doc.Content[0], "runs")
	stepsNode := mappingValue(runs, "steps")
	if stepsNode == nil {
		t.Fatal("action.yml has no runs.steps")
	}
	inputs := map[string]map[string]any{}
	for in := range a.Inputs {
		inputs[in] = map[string]any{"type": "string", "required": false}
	}
	var inputsNode yaml.Node
	if err := inputsNode.Encode(inputs); err != nil {
		t.Fatal(err)
	}
	wf := map[string]any{
		"on": map[string]any{"workflow_call": map[string]any{"inputs": &inputsNode}},
		"jobs": map[string]any{
			"action": map[string]any{"runs-on": "ubuntu-latest", "steps": stepsNode},
		},
	}
	content, err := yaml.Marshal(wf)
	if err != nil {
		t.Fatal(err)
	}
	l, proj, _ := newActionlint(t)
	errs, err := l.Lint("action.yml (as a workflow)", content, proj)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(content), "\n")
	for _, e := range errs {
		line := ""
		if e.Line >= 1 && e.Line <= len(lines) {
			line = strings.TrimSpace(lines[e.Line-1])
		}
		t.Errorf("action.yml: %s [%s] at: %s", e.Message, e.Kind, line)
	}
}

// mappingValue returns the value of key in a YAML mapping node, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// TestActionlintShellcheckActive proves the checks above shellcheck the
// scripts when shellcheck is there: an unquoted expansion is reported.
func TestActionlintShellcheckActive(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Skip("shellcheck is not on PATH")
	}
	l, proj, _ := newActionlint(t)
	wf := "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: rm -rf $TARGET/build\n"
	errs, err := l.Lint("probe.yml", []byte(wf), proj)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		if e.Kind == "shellcheck" {
			return
		}
	}
	t.Errorf("shellcheck reported nothing on an unquoted $TARGET: %v", errs)
}
