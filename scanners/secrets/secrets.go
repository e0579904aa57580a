// Package secrets is secgate's secret scanner: it finds hard-coded
// credentials with gitleaks' rules (or a gitleaks-compatible .gitleaks.toml)
// in the working tree, in git history or in staged changes, and returns
// findings of kind secret that never hold the secret itself.
//
// Every source (tree.go, git.go) yields Blobs to one Engine (engine.go).
package secrets

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/rs/zerolog"
	"github.com/zricethezav/gitleaks/v8/logging"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/scanners"
)

func init() {
	// gitleaks logs through a package-level console logger on stderr; its
	// debug lines can quote secrets. secgate never lets it write.
	logging.Logger = zerolog.Nop()
}

// Mode selects the source.
type Mode int

// The sources.
const (
	// Tree scans the files under the path, .gitignore'd ones included.
	Tree Mode = iota
	// History scans the lines added by every commit reachable from HEAD
	// (after Since, when set).
	History
	// Staged scans the lines added in the git index.
	Staged
)

// DefaultMaxFileSize is the default size above which files are skipped.
const DefaultMaxFileSize = 10 << 20

// ConfigFileName is the gitleaks config read from the scanned root when no
// config is given.
const ConfigFileName = ".gitleaks.toml"

// Options configure a secret scan.
type Options struct {
	// Path is the directory to scan (for History and Staged, inside a git
	// work tree).
	Path string
	Mode Mode
	// Since limits History to commits after this revision.
	Since string
	// Config is a gitleaks TOML config; empty means Path/.gitleaks.toml when
	// it exists, else gitleaks' default rules.
	Config string
	// Rules, when set, are used instead of loading them (see
	// ResolveRules); Config then only names them in the scan's target.
	Rules *Rules
	// MaxFileSize in bytes; DefaultMaxFileSize when zero.
	MaxFileSize int64
	// Exclude names directories under Path whose files are not scanned,
	// in the tree and in git history alike.
	Exclude  scanners.Exclude
	Progress scanners.Progress
}

// Scanner is the secret scanner.
type Scanner struct {
	opts Options
}

// New returns a secret scanner.
func New(opts Options) *Scanner {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	return &Scanner{opts: opts}
}

// Name implements scanners.Scanner.
func (*Scanner) Name() string { return findings.ScannerSecrets }

// ErrSource is wrapped by errors reading the scanned files or git.
var ErrSource = errors.New("read secrets source")

// source yields the blobs to scan; stats counts what it skipped.
type source interface {
	blobs(ctx context.Context, yield func(Blob) error) error
	stats() map[string]int
}

// Scan implements scanners.Scanner.
func (s *Scanner) Scan(ctx context.Context) (*scanners.Result, error) {
	rules, cfgName, err := s.rules()
	if err != nil {
		return nil, err
	}
	engine := NewEngine(rules)
	var src source
	switch s.opts.Mode {
	case History:
		src = &gitSource{dir: s.opts.Path, history: true, since: s.opts.Since}
	case Staged:
		src = &gitSource{dir: s.opts.Path}
	default:
		src = &treeSource{root: s.opts.Path, maxSize: s.opts.MaxFileSize, exclude: s.opts.Exclude, progress: s.opts.Progress}
	}
	if len(s.opts.Exclude) > 0 && s.opts.Mode != Tree {
		src = &excludeSource{source: src, exclude: s.opts.Exclude}
	}
	fs, scanned, err := scan(ctx, engine, src)
	if err != nil {
		return nil, err
	}
	stats := src.stats()
	stats["rules"] = rules.Len()
	stats["bytes"] = int(scanned)
	target := s.opts.Path
	switch s.opts.Mode {
	case History:
		target += " (git history)"
		if s.opts.Since != "" {
			target = s.opts.Path + " (git history after " + s.opts.Since + ")"
		}
	case Staged:
		target += " (staged changes)"
	}
	if cfgName != "" {
		target += ", rules from " + cfgName
	}
	return &scanners.Result{
		Scan:     findings.Scan{Scanner: findings.ScannerSecrets, Target: target, Stats: stats},
		Findings: fs,
	}, nil
}

func (s *Scanner) rules() (*Rules, string, error) {
	if s.opts.Rules != nil {
		return s.opts.Rules, s.opts.Config, nil
	}
	return ResolveRules(s.opts.Path, s.opts.Config)
}

// ResolveRules loads the rules a scan of root uses: config when set, else
// root/.gitleaks.toml when it exists, else gitleaks' default rules. It
// returns the config file used ("" for the defaults).
func ResolveRules(root, config string) (*Rules, string, error) {
	path := config
	if path == "" && root != "" {
		candidate := filepath.Join(root, ConfigFileName)
		if fi, err := os.Stat(candidate); err == nil && fi.Mode().IsRegular() {
			path = candidate
		}
	}
	if path == "" {
		r, err := DefaultRules()
		return r, "", err
	}
	r, err := LoadRules(path)
	return r, path, err
}

// excludeSource drops the blobs of a git source whose paths lie in excluded
// directories, and counts them.
type excludeSource struct {
	source
	exclude scanners.Exclude
	dropped map[string]bool // paths, once however many commits touch them
}

func (e *excludeSource) blobs(ctx context.Context, yield func(Blob) error) error {
	return e.source.blobs(ctx, func(b Blob) error {
		if e.exclude.Match(b.Path) {
			if e.dropped == nil { // yield is called from one goroutine
				e.dropped = map[string]bool{}
			}
			e.dropped[b.Path] = true
			return nil
		}
		return yield(b)
	})
}

func (e *excludeSource) stats() map[string]int {
	st := e.source.stats()
	st["excluded_paths"] = len(e.dropped)
	return st
}

// scan runs the engine over every blob of src on all cores and returns the
// findings, sorted and deduplicated by ID, and the bytes scanned.
func scan(ctx context.Context, e *Engine, src source) ([]findings.Finding, int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blobs := make(chan Blob, 64)
	var (
		mu      sync.Mutex
		out     []findings.Finding
		scanned int64
		readErr error
		wg      sync.WaitGroup
	)
	byID := map[string]*rule{}
	for _, r := range e.rules.rules {
		byID[r.id] = r
	}
	pathRule := func(id string) *rule {
		if r, ok := byID[id]; ok {
			return r
		}
		cr := e.rules.pathOnly.Config.Rules[id]
		return &rule{id: id, severity: severityOf(id), confidence: confidenceOf(id, cr), title: titleOf(id, cr)}
	}
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lower []byte
			for b := range blobs {
				if b.read != nil {
					content, err := b.read()
					if err != nil {
						mu.Lock()
						if readErr == nil {
							readErr = err
						}
						mu.Unlock()
						cancel()
						continue
					}
					b.Content = content
				}
				if b.Content == nil {
					continue
				}
				if len(lower) < len(b.Content) {
					lower = make([]byte, len(b.Content))
				}
				var local []findings.Finding
				for _, f := range e.Detect(ctx, b, lower) {
					if !allowed(f) {
						local = append(local, toFinding(f, pathRule(f.RuleID)))
					}
				}
				mu.Lock()
				out = append(out, local...)
				scanned += int64(len(b.Content))
				mu.Unlock()
			}
		}()
	}
	err := src.blobs(ctx, func(b Blob) error {
		select {
		case blobs <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(blobs)
	wg.Wait()
	if readErr != nil {
		return nil, 0, readErr
	}
	if err != nil {
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	// One secret in one file is one finding, however many commits carry
	// it: keep the oldest sighting (the commit that introduced it).
	slices.SortFunc(out, func(a, b findings.Finding) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(commitDate(a), commitDate(b)), cmp.Compare(a.Location.Line, b.Location.Line))
	})
	out = slices.CompactFunc(out, func(a, b findings.Finding) bool { return a.ID == b.ID })
	findings.Sort(out)
	return out, scanned, nil
}

func commitDate(f findings.Finding) string {
	if f.Commit == nil {
		return ""
	}
	return f.Commit.Date
}

func wrapSource(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSource, fmt.Sprintf(format, args...))
}
