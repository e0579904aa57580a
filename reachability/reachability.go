// Package reachability tells which Go vulnerability findings a program
// reaches, with govulncheck's analysis (golang.org/x/vuln/scan) run as a
// library: for a Go module's source, the call graph from its entry points
// to each advisory's vulnerable symbols; for a Go binary, the vulnerable
// symbols it holds.
//
// Matching stays secgate's: govulncheck is served only the OSV records the
// scanner matched (written to a directory in the flat format govulncheck
// reads with -db file://), so it never reaches vuln.go.dev and its result
// can only refine the findings secgate already made. When the analysis
// cannot run (no Go toolchain, a module whose dependencies are not in the
// module cache, a binary without build information), each finding's
// status is "unknown" with the reason, and the reason is one warning of the
// scan: the policy then decides as if there were no analysis.
package reachability

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	osvschema "github.com/ossf/osv-schema/bindings/go/osvschema"
	"golang.org/x/vuln/scan"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/secgate/secgate/findings"
)

// Options configure an Analyzer.
type Options struct {
	// Offline forbids the go command any download (GOPROXY=off): a module
	// whose dependencies are not in the module cache is then "unknown".
	Offline bool
	// Env is the environment of the go command govulncheck runs (nil: this
	// process's).
	Env []string
}

// Analyzer runs govulncheck. It is safe for concurrent use; analyses run
// one at a time (govulncheck loads and analyzes whole programs, and two at
// once on a CI runner only compete for the same cores).
type Analyzer struct {
	opts Options
	mu   sync.Mutex
}

// New returns an Analyzer.
func New(opts Options) *Analyzer { return &Analyzer{opts: opts} }

// Source analyzes the Go module in dir (its go.mod's directory; name is
// how reports call it) and sets Reachability on each of fs, the Go
// vulnerability findings of that go.mod; vulns are the OSV records they
// were matched with. It returns the warnings for the scan: why some
// finding's status is unknown.
func (a *Analyzer) Source(ctx context.Context, name, dir string, vulns []*osvschema.Vulnerability, fs []*findings.Finding) []string {
	if len(fs) == 0 {
		return nil
	}
	if _, err := exec.LookPath("go"); err != nil {
		return unknown(fs, name, findings.ReachSource, "no Go toolchain (go not on PATH)")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return unknown(fs, name, findings.ReachSource, err.Error())
	}
	// go list names files relative to the module's directory, or by its
	// path here: reports name that directory as the scan does.
	shown := strings.TrimSuffix(strings.TrimSuffix(name, "go.mod"), "/")
	if shown == "" {
		shown = "."
	}
	return a.run(ctx, name, abs, shown, findings.ReachSource, vulns, fs, "-C", abs, "./...")
}

// Binary analyzes the Go binary at path (name is how reports call it) and
// sets Reachability on each of fs, the Go vulnerability findings of its
// modules, as Source does.
func (a *Analyzer) Binary(ctx context.Context, name, path string, vulns []*osvschema.Vulnerability, fs []*findings.Finding) []string {
	if len(fs) == 0 {
		return nil
	}
	return a.run(ctx, name, path, name, findings.ReachBinary, vulns, fs, "-mode", "binary", path)
}

// run runs govulncheck with args on what is at local (a directory or a
// file), which messages call name (and shown where govulncheck names
// local).
func (a *Analyzer) run(ctx context.Context, name, local, shown, mode string, vulns []*osvschema.Vulnerability, fs []*findings.Finding, args ...string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	db, err := os.MkdirTemp("", "secgate-govulndb-")
	if err != nil {
		return unknown(fs, name, mode, err.Error())
	}
	defer os.RemoveAll(db)
	if err := writeDB(db, vulns); err != nil {
		return unknown(fs, name, mode, err.Error())
	}
	var stdout, stderr bytes.Buffer
	cmd := scan.Command(ctx, append([]string{"-db", "file://" + filepath.ToSlash(db), "-format", "json", "-scan", "symbol"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = a.env()
	err = cmd.Start()
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		// What go list says names the module's directory on this machine:
		// reports name it as the scan does.
		reason := strings.ReplaceAll(why(err, stderr.String()), local, shown)
		if strings.Contains(reason, "no packages matched") {
			reason = "the module has no Go packages to analyze (a go.mod without source)"
		}
		return unknown(fs, name, mode, strings.ReplaceAll(reason, db, "DB"))
	}
	res, err := parse(&stdout)
	if err != nil {
		return unknown(fs, name, mode, fmt.Sprintf("read govulncheck's output: %v", err))
	}
	var unreported []string
	for _, f := range fs {
		f.Reachability = res.of(f, mode)
		if f.Reachability.Status == findings.ReachUnknown {
			unreported = append(unreported, f.RuleID)
		}
	}
	if len(unreported) == 0 {
		return nil
	}
	slices.Sort(unreported)
	return []string{fmt.Sprintf("reachability of %s unknown for %s: govulncheck did not report them (not a Go program, or its build selects other versions than the lockfile)",
		name, strings.Join(slices.Compact(unreported), ", "))}
}

// env is the go command's environment: no toolchain switch (the analysis
// uses the Go on PATH, as the build does), and offline no module download.
func (a *Analyzer) env() []string {
	env := a.opts.Env
	if env == nil {
		env = os.Environ()
	}
	env = append(slices.Clip(env), "GOTOOLCHAIN=local")
	if a.opts.Offline {
		env = append(env, "GOPROXY=off")
	}
	return env
}

// unknown sets the status of fs to unknown and returns the warning.
func unknown(fs []*findings.Finding, name, mode, reason string) []string {
	for _, f := range fs {
		f.Reachability = &findings.Reachability{Status: findings.ReachUnknown, Mode: mode, Reason: reason}
	}
	return []string{fmt.Sprintf("reachability of %s unknown: %s", name, reason)}
}

// why is the reason an analysis failed, on one line: govulncheck's error
// (which holds go list's complaints) and what it wrote on stderr.
func why(err error, stderr string) string {
	var parts []string
	for _, line := range strings.Split(err.Error()+"\n"+stderr, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "For details on package patterns") {
			continue
		}
		parts = append(parts, strings.TrimSuffix(line, ":"))
	}
	msg := strings.TrimPrefix(strings.Join(parts, ": "), "govulncheck: ")
	const max = 400
	if len(msg) > max {
		msg = msg[:max] + "…"
	}
	return "govulncheck: " + msg
}

// writeDB writes the Go records of vulns into dir, one <ID>.json each: the
// flat layout govulncheck reads from a file:// database. Of an advisory
// that the Go vulnerability database (GO- ids) and another database both
// publish, only the GO- record is written: it is the one that names the
// vulnerable packages and symbols, where a GHSA record of a Go module names
// none, which govulncheck reads as "every symbol of the module".
func writeDB(dir string, vulns []*osvschema.Vulnerability) error {
	covered := map[string]bool{}
	for _, v := range vulns {
		if strings.HasPrefix(v.GetId(), "GO-") {
			covered[v.GetId()] = true
			for _, a := range v.GetAliases() {
				covered[a] = true
			}
		}
	}
	seen := map[string]bool{}
	m := protojson.MarshalOptions{UseProtoNames: true}
	for _, v := range vulns {
		id := v.GetId()
		if seen[id] || !goRecord(v) || strings.ContainsAny(id, `/\`) || id == "" {
			continue
		}
		if !strings.HasPrefix(id, "GO-") && (covered[id] || slices.ContainsFunc(v.GetAliases(), func(a string) bool { return covered[a] })) {
			continue
		}
		seen[id] = true
		b, err := m.Marshal(v)
		if err != nil {
			return fmt.Errorf("write advisory %s for govulncheck: %w", id, err)
		}
		if err := os.WriteFile(filepath.Join(dir, id+".json"), b, 0o600); err != nil {
			return fmt.Errorf("write advisory %s for govulncheck: %w", id, err)
		}
	}
	return nil
}

func goRecord(v *osvschema.Vulnerability) bool {
	for _, a := range v.GetAffected() {
		if a.GetPackage().GetEcosystem() == "Go" {
			return true
		}
	}
	return false
}

// result is what govulncheck found, per advisory and module.
type result struct {
	by map[key]*findings.Reachability
}

type key struct{ osv, module string }

// frame is one frame of a govulncheck trace (protocol v1.0.0).
type frame struct {
	Module   string `json:"module"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
}

// message is one object of govulncheck's JSON stream; only findings are
// read.
type message struct {
	Finding *struct {
		OSV   string  `json:"osv"`
		Trace []frame `json:"trace"`
	} `json:"finding"`
}

func parse(r io.Reader) (*result, error) {
	res := &result{by: map[key]*findings.Reachability{}}
	dec := json.NewDecoder(r)
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		if m.Finding == nil || len(m.Finding.Trace) == 0 {
			continue
		}
		res.add(m.Finding.OSV, m.Finding.Trace)
	}
	for _, r := range res.by {
		slices.Sort(r.Symbols)
		r.Symbols = slices.Compact(r.Symbols)
	}
	return res, nil
}

// add records one finding: its trace's first frame is the vulnerable
// module, package and symbol (as far as the level goes), the last the
// program's entry point.
func (res *result) add(osv string, trace []frame) {
	top := trace[0]
	k := key{osv, top.Module}
	r := res.by[k]
	if r == nil {
		r = &findings.Reachability{Status: findings.ReachRequired}
		res.by[k] = r
	}
	switch {
	case top.Function != "":
		if r.Status != findings.ReachCalled {
			r.Status, r.Trace = findings.ReachCalled, nil
		}
		r.Symbols = append(r.Symbols, symbol(top))
		if len(trace) > 1 {
			stack := make([]string, len(trace))
			for i, f := range trace {
				stack[len(trace)-1-i] = symbol(f)
			}
			if r.Trace == nil || len(stack) < len(r.Trace) || len(stack) == len(r.Trace) && slices.Compare(stack, r.Trace) < 0 {
				r.Trace = stack
			}
		}
	case top.Package != "" && r.Status == findings.ReachRequired:
		r.Status = findings.ReachImported
	}
}

// symbol names a frame as govulncheck prints it: the package's last path
// element, the receiver's type, the function ("language.Parse",
// "http.Request.ParseForm").
func symbol(f frame) string {
	pkg := f.Package
	if i := strings.LastIndexByte(pkg, '/'); i >= 0 {
		pkg = pkg[i+1:]
	}
	name := f.Function
	if rcv := strings.TrimLeft(f.Receiver, "*"); rcv != "" {
		name = rcv + "." + name
	}
	if pkg == "" {
		return name
	}
	return pkg + "." + name
}

// of is the reachability of finding f: the strongest status of the
// advisories it groups (its id and aliases) in its package's module.
// govulncheck reports every advisory of a required module at least as
// "required", so an advisory it does not report means its analysis of the
// build differs from the lockfile (a newer version selected): unknown.
func (res *result) of(f *findings.Finding, mode string) *findings.Reachability {
	module := ""
	if f.Package != nil {
		module = f.Package.Name
	}
	ids := []string{f.RuleID}
	if v := f.Vulnerability; v != nil {
		ids = append(ids, v.ID)
		ids = append(ids, v.Aliases...)
	}
	var best *findings.Reachability
	for _, id := range ids {
		r := res.by[key{id, module}]
		if r != nil && (best == nil || rank(r.Status) > rank(best.Status)) {
			best = r
		}
	}
	if best == nil {
		return &findings.Reachability{Status: findings.ReachUnknown, Mode: mode, Reason: "govulncheck did not report it for " + module}
	}
	out := *best
	out.Mode = mode
	if mode == findings.ReachBinary {
		out.Trace = nil // a binary's "trace" is the symbol alone
	}
	out.Symbols = slices.Clone(best.Symbols)
	out.Trace = slices.Clone(out.Trace)
	return &out
}

func rank(status string) int {
	switch status {
	case findings.ReachCalled:
		return 3
	case findings.ReachImported:
		return 2
	case findings.ReachRequired:
		return 1
	}
	return 0
}
