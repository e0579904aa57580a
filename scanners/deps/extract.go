package deps

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	scalibr "github.com/google/osv-scalibr"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	scalibrfs "github.com/google/osv-scalibr/fs"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scanner/v2/pkg/models"
	"github.com/google/osv-scanner/v2/pkg/osvscanner"

	"github.com/secgate/secgate/extractors/npmlock"
	"github.com/secgate/secgate/extractors/yarnlock"
	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/scanners"
	"github.com/secgate/secgate/scanners/internal/osvlog"
)

// osv-scalibr's own package-lock.json and yarn.lock extractors, replaced by
// npmlock and yarnlock.
const (
	scalibrPackageLock = "javascript/packagelockjson"
	scalibrYarnLock    = "javascript/yarnlock"
)

// ownExtractors are secgate's replacements, run in a walk of their own.
var ownExtractors = []filesystem.Extractor{npmlock.Extractor{}, yarnlock.Extractor{}}

// ErrExtract is wrapped by every error about a lockfile or manifest that
// could not be read or parsed.
var ErrExtract = errors.New("extract dependencies")

// located is a package and its place in the scanned target.
type located struct {
	pkg *extractor.Package
	// loc is where the package is declared: a path relative to the
	// target's directory (for a file target, the file's directory) and a
	// line.
	loc findings.Location
}

// extraction is what the extractors found in one target.
type extraction struct {
	packages []located
	// files is the number of distinct lockfiles and manifests read,
	// those they include ("-r base.txt") among them.
	files int
	// warnings are the guard's (see guard).
	warnings []string
}

// extract finds every lockfile and manifest that osv-scanner reads under
// root (a directory, or a single lockfile) and returns their packages.
//
// osv-scanner's DoScan does the walk and the extraction with every extractor
// of its lockfile, SBOM and directory presets, but no vulnerability matching
// (the scanner matches with package osv). npm lockfiles and yarn.lock are
// read by npmlock and yarnlock in a second osv-scalibr walk with the same
// settings (osv-scanner's DoScan also sorts, annotates and groups what it
// extracts: a third of the time of a big yarn.lock, for nothing the gate
// uses); a single file goes to one of the two, by its name. Any extraction error is returned:
// osv-scanner only logs them and carries on, which a gate must not do. The
// directories of exclude (relative to root) are not walked.
func extract(ctx context.Context, root string, opts Options, exclude scanners.Exclude) (*extraction, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExtract, err)
	}
	isDir := fi.IsDir()
	var skip []string
	if isDir {
		skip = exclude.Abs(abs)
	}
	warnings, err := guard(abs, isDir, skip, opts.Strict)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExtract, err)
	}
	noIgnore := opts.NoIgnore
	own := ownExtractor(abs, isDir)
	var pkgs []*extractor.Package
	if isDir || own == nil {
		found, err := osvScannerExtract(abs, isDir, noIgnore, skip)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, found...)
	}
	if isDir || own != nil {
		found, err := ownExtract(ctx, abs, own, noIgnore, skip)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, found...)
	}
	ex, err := locate(baseDir(abs, isDir), pkgs)
	if err != nil {
		return nil, err
	}
	ex.warnings = warnings
	return ex, nil
}

// locate places each package relative to base. osv-scalibr's locations are
// read, never written: one location may be shared by several packages (every
// package of a requirements.txt "-r base.txt" line shares the File of that
// line).
func locate(base string, pkgs []*extractor.Package) (*extraction, error) {
	out := &extraction{packages: make([]located, 0, len(pkgs))}
	files := map[string]bool{}
	for _, p := range pkgs {
		rel, err := relativeTo(base, p.Location.PathOrEmpty())
		if err != nil {
			return nil, err
		}
		line := 0
		if d := p.Location.Descriptor; d != nil && d.File != nil {
			line = d.File.LineNumber
		}
		files[rel] = true
		for _, r := range p.Location.Related {
			if r.File != nil && r.File.Path != "" {
				if relRel, err := relativeTo(base, r.File.Path); err == nil {
					files[relRel] = true
				}
			}
		}
		out.packages = append(out.packages, located{pkg: p, loc: findings.Location{Path: rel, Line: line}})
	}
	out.files = len(files)
	return out, nil
}

// relativeTo turns a path relative to the filesystem root ("/"), as
// osv-scalibr reports them, into a slash path relative to base.
func relativeTo(base, p string) (string, error) {
	if !filepath.IsAbs(p) {
		p = string(filepath.Separator) + p
	}
	rel, err := filepath.Rel(base, p)
	if err != nil {
		return "", fmt.Errorf("relative path of %s: %w", p, err)
	}
	return filepath.ToSlash(rel), nil
}

func osvScannerExtract(abs string, isDir, noIgnore bool, skip []string) ([]*extractor.Package, error) {
	// An empty osv-scanner config overrides any osv-scanner.toml in the
	// tree: its ignore entries would silently drop packages from the gate.
	// secgate's waivers are the one, visible, way to accept a finding.
	cfg, err := os.CreateTemp("", "secgate-osv-scanner-*.toml")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExtract, err)
	}
	cfg.Close()
	defer os.Remove(cfg.Name())

	actions := osvscanner.ScannerActions{
		Recursive:             true,
		NoIgnore:              noIgnore,
		ConfigOverridePath:    cfg.Name(),
		ShowAllPackages:       true,
		CompareOffline:        true, // no matching here: package osv matches
		PluginNetworkDisabled: true,
		ExperimentalScannerActions: osvscanner.ExperimentalScannerActions{
			ExcludePatterns:    excludePatterns(skip),
			TransitiveScanning: osvscanner.TransitiveScanningActions{Disabled: true},
			PluginsDisabled:    []string{"vulnmatch/osvlocal", scalibrPackageLock, scalibrYarnLock},
		},
	}
	if isDir {
		actions.DirectoryPaths = []string{abs}
	} else {
		actions.LockfilePaths = []string{abs}
	}

	// osv-scanner reports a lockfile it cannot parse only in an error log
	// record: capture them.
	logs := &logCapture{}
	var res models.VulnerabilityResults
	osvlog.Run(logs, func() { res, err = osvscanner.DoScan(actions) })

	if errs := logs.errors(abs); len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrExtract, errors.Join(errs...))
	}
	if err != nil && !errors.Is(err, osvscanner.ErrNoPackagesFound) && !errors.Is(err, osvscanner.ErrVulnerabilitiesFound) {
		return nil, fmt.Errorf("%w: %s: %w", ErrExtract, abs, err)
	}
	var pkgs []*extractor.Package
	for _, src := range res.Results {
		for _, pv := range src.Packages {
			if p := pv.Package.Inventory; p != nil && p.Location.Descriptor != nil && p.Location.Descriptor.File != nil {
				pkgs = append(pkgs, p)
			}
		}
	}
	return pkgs, nil
}

// excludePatterns writes absolute directories as osv-scanner's exclude
// patterns: the ":" prefix makes each an exact directory (a path holding a
// colon would otherwise read as a pattern type).
func excludePatterns(dirs []string) []string {
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[i] = ":" + d
	}
	return out
}

// ownExtractor is the one of ownExtractors that reads the single file abs
// (as osv-scanner picks a lockfile's extractor: npm's by FileRequired, a
// yarn.lock by its name alone), or nil for a directory or another file.
func ownExtractor(abs string, isDir bool) filesystem.Extractor {
	switch {
	case isDir:
		return nil
	case (npmlock.Extractor{}).FileRequired(simpleFile(abs)):
		return npmlock.Extractor{}
	case filepath.Base(abs) == "yarn.lock":
		return yarnlock.Extractor{}
	}
	return nil
}

// ownExtract runs ownExtractors over the directory abs, or one of them
// (single) over the file abs.
func ownExtract(ctx context.Context, abs string, single filesystem.Extractor, noIgnore bool, skip []string) ([]*extractor.Package, error) {
	isDir := single == nil
	plugins := make([]plugin.Plugin, len(ownExtractors))
	for i, e := range ownExtractors {
		plugins[i] = e
	}
	cfg := &scalibr.ScanConfig{
		Plugins:           plugins,
		Capabilities:      &plugin.Capabilities{DirectFS: true, RunningSystem: true, Network: plugin.NetworkOffline, OS: plugin.OSAny},
		ScanRoots:         scalibrfs.RealFSScanRoots("/"),
		PathsToExtract:    []string{abs},
		UseGitignore:      !noIgnore,
		DirsToSkip:        skip,
		StoreAbsolutePath: false,
		ExplicitPlugins:   true,
	}
	if !isDir {
		cfg.ExtractorOverride = func(api filesystem.FileAPI) []filesystem.Extractor {
			return []filesystem.Extractor{single}
		}
	}
	var sr *scalibr.ScanResult
	osvlog.Run(nil, func() { sr = scalibr.New().Scan(ctx, cfg) })

	// osv-scalibr reports a cancelled scan only as a status text.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExtract, err)
	}
	if sr.Status.Status == plugin.ScanStatusFailed {
		return nil, fmt.Errorf("%w: %s", ErrExtract, sr.Status.FailureReason)
	}
	var errs []error
	for _, ps := range sr.PluginStatus {
		for _, fe := range ps.Status.FileErrors {
			rel, _ := relativeTo(baseDir(abs, isDir), fe.FilePath)
			errs = append(errs, fmt.Errorf("%s: %s", rel, fe.ErrorMessage))
		}
		if len(ps.Status.FileErrors) == 0 && ps.Status.Status == plugin.ScanStatusFailed {
			errs = append(errs, errors.New(ps.Status.FailureReason))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrExtract, errors.Join(errs...))
	}
	return dedupYarn(sr.Inventory.Packages), nil
}

// dedupYarn puts the yarn.lock packages in the order osv-scanner's DoScan
// gave them when it read them (by file, name, version, then the printed
// source code identifier: the first of several findings with one ID is
// kept, so the order picks which line a finding names) and keeps one of
// those that are the same package of the same file, the first in the file
// (DoScan kept one of its own choosing). A yarn.lock lists a package twice
// only when edited by hand or merged badly.
func dedupYarn(pkgs []*extractor.Package) []*extractor.Package {
	out := make([]*extractor.Package, 0, len(pkgs))
	var yarn []*extractor.Package
	for _, p := range pkgs {
		if slices.Contains(p.Plugins, yarnlock.Name) {
			yarn = append(yarn, p)
		} else {
			out = append(out, p)
		}
	}
	order := func(a, b *extractor.Package) int {
		if c := cmp.Or(strings.Compare(a.Location.PathOrEmpty(), b.Location.PathOrEmpty()), strings.Compare(a.Name, b.Name), strings.Compare(a.Version, b.Version)); c != 0 {
			return c
		}
		return strings.Compare(fmt.Sprintf("%v", a.SourceCode), fmt.Sprintf("%v", b.SourceCode))
	}
	slices.SortFunc(yarn, func(a, b *extractor.Package) int {
		return cmp.Or(order(a, b), cmp.Compare(line(a), line(b)))
	})
	return append(out, slices.CompactFunc(yarn, func(a, b *extractor.Package) bool { return order(a, b) == 0 })...)
}

func line(p *extractor.Package) int {
	if d := p.Location.Descriptor; d != nil && d.File != nil {
		return d.File.LineNumber
	}
	return 0
}

func baseDir(abs string, isDir bool) string {
	if isDir {
		return abs
	}
	return filepath.Dir(abs)
}

// extractionError matches osv-scanner's log line for a file it could not
// extract: "Error during extraction: (extracting as <plugin>) <path>: <msg>"
// (several files are put on separate tab-indented lines).
var extractionError = regexp.MustCompile(`^Error during extraction: \(extracting as ([^)]+)\) ?`)

// logCapture is a slog.Handler that keeps osv-scanner's error records, which
// are the only report of a lockfile that failed to parse.
type logCapture struct {
	mu   sync.Mutex
	msgs []string
}

func (*logCapture) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }

func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelError {
		return nil
	}
	c.mu.Lock()
	c.msgs = append(c.msgs, r.Message)
	c.mu.Unlock()
	return nil
}

func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *logCapture) WithGroup(string) slog.Handler      { return c }

// errors turns the captured records into errors, with file paths made
// relative to the scanned directory.
func (c *logCapture) errors(abs string) []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	prefix := strings.TrimPrefix(abs, string(filepath.Separator)) + string(filepath.Separator)
	var errs []error
	for _, m := range c.msgs {
		plugin := ""
		if sm := extractionError.FindStringSubmatch(m); sm != nil {
			plugin = sm[1]
			m = m[len(sm[0]):]
		}
		for _, line := range strings.Split(m, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			line = strings.ReplaceAll(line, prefix, "")
			if plugin != "" {
				line += " (" + plugin + ")"
			}
			errs = append(errs, errors.New(line))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errs
}

// simpleFile is the little of filesystem.FileAPI that FileRequired needs.
type simpleFile string

func (f simpleFile) Path() string               { return string(f) }
func (f simpleFile) Stat() (os.FileInfo, error) { return os.Stat(string(f)) }
