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
	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/scanners"
	"github.com/secgate/secgate/secretid"
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

// ConfigFileName is the gitleaks config read from the scanned directory when no
// config is given.
const ConfigFileName = ".gitleaks.toml"

// Options configure the secret scanner.
type Options struct {
	Mode Mode
	// Since limits History to commits after this revision.
	Since string
	// AllRefs scans, in History, the commits reachable from every ref
	// (git log --all) rather than from HEAD.
	AllRefs bool
	// MaxFileSize, when above zero, is the size in bytes above which a
	// file's content is not read (it is counted as skipped_too_large).
	// By default files of every size are read, in pieces.
	MaxFileSize int64
}

// Type is the secret scanner, configured for a run: it applies to
// directories and files (in History and Staged mode, to directories inside
// a git work tree).
type Type struct {
	opts  Options
	env   scanners.Env
	rules *RuleSource
}

// NewType returns the secret scanner of a run, with its rules from rules.
func NewType(opts Options, env scanners.Env, rules *RuleSource) *Type {
	if env.SecretIDs == nil {
		env.SecretIDs = secretid.New(nil)
	}
	return &Type{opts: opts, env: env, rules: rules}
}

// Name implements scanners.Type.
func (*Type) Name() string { return findings.ScannerSecrets }

// Applies implements scanners.Type.
func (ty *Type) Applies(t scanners.Target) bool {
	if ty.opts.Mode != Tree {
		return t.Kind == findings.TargetDirectory
	}
	return t.OnPath()
}

// New implements scanners.Type. It loads the rules.
func (ty *Type) New(t scanners.Target) (scanners.Scanner, error) {
	rules, file, err := ty.rules.Load()
	if err != nil {
		return nil, err
	}
	return &scanner{target: t, opts: ty.opts, env: ty.env, rules: rules, rulesFile: file}, nil
}

// Identity implements scanners.Type: the finding's ID, a fingerprint of the
// rule, the file's path in the target and the secret's fingerprint.
func (*Type) Identity(f *findings.Finding) string { return f.ID }

type scanner struct {
	target    scanners.Target
	opts      Options
	env       scanners.Env
	rules     *Rules
	rulesFile string
}

// ErrSource is wrapped by errors reading the scanned files or git.
var ErrSource = errors.New("read secrets source")

// source yields the blobs to scan; stats counts what it skipped.
type source interface {
	blobs(ctx context.Context, yield func(Blob) error) error
	stats() map[string]int
}

// Scan implements scanners.Scanner.
func (s *scanner) Scan(ctx context.Context) (*scanners.Result, error) {
	engine := NewEngine(s.rules)
	path := s.target.Path
	var src source
	var history *gitSource
	switch s.opts.Mode {
	case History:
		history = &gitSource{dir: path, history: true, since: s.opts.Since, allRefs: s.opts.AllRefs}
		src = history
	case Staged:
		src = &gitSource{dir: path}
	default:
		src = &treeSource{root: path, maxSize: s.opts.MaxFileSize, exclude: s.env.Exclude, progress: s.env.Progress}
	}
	if len(s.env.Exclude) > 0 && s.opts.Mode != Tree {
		src = &excludeSource{source: src, exclude: s.env.Exclude}
	}
	fs, totals, err := scan(ctx, engine, src, s.env.SecretIDs)
	if err != nil {
		return nil, err
	}
	stats := src.stats()
	stats["rules"] = s.rules.Len()
	totals.add(stats)
	scan := findings.Scan{Stats: stats}
	switch s.opts.Mode {
	case History:
		scan.Source = "git history"
		if s.opts.AllRefs {
			scan.Source = "git history of all refs"
		}
		if s.opts.Since != "" {
			scan.Source += " after " + s.opts.Since
		}
		if stats["commits"] == 0 {
			scan.Warnings = []string{"no commit to scan"}
		}
		if history.shallow {
			// actions/checkout fetches one commit by default: a history
			// scan of it would pass on a secret one commit earlier.
			stats["shallow"] = 1
			scan.Warnings = append(scan.Warnings, fmt.Sprintf("shallow clone: only the %s fetched were scanned (fetch the whole history: git fetch --unshallow, or actions/checkout with fetch-depth: 0)", commits(stats["commits"])))
		}
	case Staged:
		scan.Source = "staged changes"
		if stats["files"] == 0 {
			scan.Warnings = []string{"no staged change to scan"}
		}
	default:
		if stats["files"] == 0 {
			scan.Warnings = []string{"no file to scan"}
		}
	}
	if s.rulesFile != "" {
		scan.Config, _ = s.env.Root.Rel(s.rulesFile)
	}
	return &scanners.Result{Scan: scan, Findings: fs}, nil
}

// RuleSource loads the rules of a run once, for the secret scanner and the
// container scanner alike.
type RuleSource struct {
	dir, config string
	once        sync.Once
	rules       *Rules
	file        string
	err         error
}

// NewRuleSource returns the rules a run uses: config when set, else
// dir/.gitleaks.toml when it exists (dir is the scanned directory, "" when
// there is none), else gitleaks' default rules.
func NewRuleSource(dir, config string) *RuleSource {
	return &RuleSource{dir: dir, config: config}
}

// Load returns the rules and the file they came from ("" for the
// defaults).
func (s *RuleSource) Load() (*Rules, string, error) {
	s.once.Do(func() { s.rules, s.file, s.err = resolveRules(s.dir, s.config) })
	return s.rules, s.file, s.err
}

func resolveRules(root, config string) (*Rules, string, error) {
	path := config
	if path == "" && root != "" {
		// Whatever is there is read (and refused when it is not a regular
		// file): a repository's rules are never silently replaced by the
		// defaults.
		candidate := filepath.Join(root, ConfigFileName)
		if _, err := os.Lstat(candidate); err == nil {
			path = candidate
		}
	}
	if path == "" {
		r, err := DefaultRules()
		return r, "", err
	}
	r, err := LoadRules(root, path)
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

// totals is what scan counts beside the source: the bytes it scanned, and
// the files it did not read because the global allowlist leaves their path
// out (media, archives, lockfiles...: gitleaks' own list).
type totals struct {
	bytes       int64
	allowlisted int
}

func (t totals) add(stats map[string]int) {
	stats["bytes"] = int(t.bytes)
	stats["allowlisted"] = t.allowlisted
}

// scan runs the engine over every blob of src on all cores and returns the
// findings, sorted and deduplicated by ID, and its totals.
func scan(ctx context.Context, e *Engine, src source, ids *secretid.Deriver) ([]findings.Finding, totals, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blobs := make(chan Blob, 64)
	var (
		mu      sync.Mutex
		out     []findings.Finding
		sum     totals
		readErr error
		wg      sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if readErr == nil {
			readErr = err
		}
		mu.Unlock()
		cancel()
	}
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				lower []byte
				found []report.Finding
				blob  Blob
			)
			pc := newPieces(func(content []byte, line int) error {
				if len(lower) < len(content) {
					lower = make([]byte, len(content))
				}
				piece := blob
				piece.Content, piece.StartLine = content, line
				found = append(found, e.detectContent(ctx, piece, lower)...)
				return ctx.Err()
			})
			for b := range blobs {
				if e.rules.pathAllowed(b.Path) {
					// Neither path nor content rules report an
					// allowlisted path: its content is not read.
					mu.Lock()
					sum.allowlisted++
					mu.Unlock()
					continue
				}
				blob, found = b, e.DetectPath(ctx, b)
				pc.read = 0
				switch {
				case b.read != nil:
					if err := b.read(pc); err != nil {
						fail(err)
						continue
					}
				case b.Content != nil:
					if err := pc.emit(b.Content, b.StartLine); err != nil {
						fail(err)
						continue
					}
					pc.read = int64(len(b.Content))
				}
				var local []findings.Finding
				// The engine dropped what allow signatures allow.
				for _, f := range finish(found) {
					local = append(local, toFinding(f, e.rules.byID[f.RuleID], ids))
				}
				mu.Lock()
				out = append(out, local...)
				sum.bytes += pc.read
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
		return nil, totals{}, readErr
	}
	if err != nil {
		return nil, totals{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, totals{}, err
	}
	// One secret in one file is one finding, however many commits carry
	// it: keep the oldest sighting (the commit that introduced it).
	slices.SortFunc(out, func(a, b findings.Finding) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(commitDate(a), commitDate(b)), cmp.Compare(a.Location.Line, b.Location.Line))
	})
	out = slices.CompactFunc(out, func(a, b findings.Finding) bool { return a.ID == b.ID })
	findings.Sort(out)
	return out, sum, nil
}

func commitDate(f findings.Finding) string {
	if f.Commit == nil {
		return ""
	}
	return f.Commit.Date
}

// wrapSource is fmt.Errorf with ErrSource first; format's %w verbs keep
// the causes (a permission error, a cancelled context) for errors.Is.
func wrapSource(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrSource}, args...)...)
}

func commits(n int) string {
	if n == 1 {
		return "1 commit"
	}
	return fmt.Sprintf("%d commits", n)
}
