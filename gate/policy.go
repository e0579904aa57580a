package gate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/policies"
)

// PolicyOptions say which policies decide, with what data and waivers.
type PolicyOptions struct {
	// Paths are policy files and directories added to the embedded
	// defaults; NoDefaults drops the defaults.
	Paths      []string
	NoDefaults bool
	// DataPaths are JSON or YAML files (or directories) merged into data.
	DataPaths []string
	// Waivers is a waivers file. Empty means .secgate-waivers.yaml at the
	// scanned directory when it exists.
	Waivers string
	// Bundle, when its Source is set, is an OPA bundle of policies and
	// data added like Paths and DataPaths.
	Bundle policies.BundleOptions
	// Warn receives warnings (a bundle served from the cache).
	Warn func(string)
	// Print receives what the policies print() (see policies.Options).
	Print io.Writer
	// FailOn is the lowest severity the default policy denies.
	FailOn findings.Severity
	// IgnoreUnfixed sets data.secgate.config.ignore_unfixed
	// (--ignore-unfixed): vulnerabilities without a fixed version only
	// warn. A data file's setting wins, as for fail_on.
	IgnoreUnfixed bool
	// Timeout bounds one evaluation (30s when zero).
	Timeout time.Duration
	// Today is the date waivers expire against (today, UTC, when empty).
	Today string
	// AllowNet lets policies call OPA's network built-ins (http.send,
	// net.lookup_ip_addr); Run refuses it with an offline database.
	AllowNet bool
}

// NewEngine loads and compiles the policies. root is the report root, which
// results of the team's policy files name their files relative to; dir is
// the scanned directory ("" when there is none), where a default waivers
// file is looked for.
func NewEngine(ctx context.Context, p PolicyOptions, root findings.Root, dir string) (*policies.Engine, error) {
	if p.FailOn == "" {
		p.FailOn = findings.SeverityHigh
	}
	if p.FailOn == findings.SeverityUnknown {
		return nil, fmt.Errorf("%w: --fail-on must be critical, high, medium or low", ErrOptions)
	}
	modules, err := policies.LoadModules(root.Dir(), p.Paths)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPolicy, err)
	}
	data, err := policies.LoadData(root.Dir(), p.DataPaths)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPolicy, err)
	}
	if p.Bundle.Source != "" {
		b, err := policies.LoadBundle(ctx, p.Bundle)
		if err != nil {
			return nil, err
		}
		if b.Warning != "" && p.Warn != nil {
			p.Warn(b.Warning)
		}
		for name, src := range b.Modules {
			modules["bundle:"+name] = src
		}
		if err := mergeData(data, b.Data); err != nil {
			return nil, fmt.Errorf("%w: policy bundle %s: %w", ErrPolicy, p.Bundle.Source, err)
		}
	}
	flags := map[string]any{"fail_on": string(p.FailOn)}
	if p.IgnoreUnfixed {
		flags["ignore_unfixed"] = true
	}
	if err := mergeData(data, map[string]any{"secgate": map[string]any{"config": flags}}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPolicy, err)
	}
	waiversFile := p.Waivers
	if waiversFile == "" && dir != "" {
		candidate := filepath.Join(dir, policies.WaiversFile)
		if _, err := os.Lstat(candidate); err == nil {
			waiversFile = candidate // read, or refused, by safefile
		}
	}
	var waivers []findings.Waiver
	var waiversAt *findings.FileLine
	if waiversFile != "" {
		if waivers, err = policies.LoadWaivers(root.Dir(), waiversFile); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrPolicy, err)
		}
		if rel, ok := root.Rel(waiversFile); ok {
			waiversAt = &findings.FileLine{Path: rel, Line: 1}
		}
	}
	return policies.New(ctx, policies.Options{
		Modules: modules, NoDefaults: p.NoDefaults, Data: data,
		Waivers: waivers, WaiversLocation: waiversAt, Today: p.Today, Timeout: p.Timeout, AllowNet: p.AllowNet, Print: p.Print,
		Locate: func(module string) (string, bool) {
			// Modules are named by their file, bundle modules "bundle:NAME".
			if fi, err := os.Stat(filepath.FromSlash(module)); err != nil || !fi.Mode().IsRegular() {
				return "", false
			}
			return root.Rel(filepath.FromSlash(module))
		},
	})
}

// mergeData merges src into dst; a value set in both (other than objects,
// merged key by key) is an error, except that --fail-on and
// --ignore-unfixed yield to a fail_on or ignore_unfixed set explicitly in
// the data.
func mergeData(dst, src map[string]any) error {
	for k, v := range src {
		d, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		dm, dOK := d.(map[string]any)
		sm, sOK := v.(map[string]any)
		if !dOK || !sOK {
			if k == "fail_on" || k == "ignore_unfixed" {
				continue // the data file's setting wins over the flag's
			}
			return errors.New("data key " + k + " is set twice")
		}
		if err := mergeData(dm, sm); err != nil {
			return err
		}
	}
	return nil
}
