// Package container is secgate's container image scanner. It opens an
// image from a registry, a docker-archive, an OCI layout or a root
// filesystem (source.go), checks its layers as they stream (guard.go),
// extracts OS packages (dpkg, apk, rpm, ...), language packages and Go and
// Rust binaries per layer with osv-scalibr, matches them against OSV
// (package osv), scans every layer's files for secrets (package secrets),
// and reports the image's own configuration (config.go): running as root,
// credentials in ENV or in history commands.
package container

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	scalibr "github.com/google/osv-scalibr"
	"github.com/google/osv-scalibr/artifact/image/layerscanning/image"
	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/list"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/plugin/config"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/scanners"
	"github.com/secgate/secgate/scanners/deps/npmlock"
	"github.com/secgate/secgate/scanners/internal/osvlog"
	"github.com/secgate/secgate/scanners/osv"
	"github.com/secgate/secgate/scanners/secrets"
)

// Options configure a container scan.
type Options struct {
	// Ref names the image: see Open.
	Ref string
	// Matcher matches packages with advisories (offline or online).
	Matcher osv.Matcher
	// Secrets are the rules for the secret scan of the layers and the
	// image configuration.
	Secrets *secrets.Rules
	// Dockerfile, when set, is the Dockerfile the image was built from:
	// findings then point at the line of the instruction that created
	// their layer. DockerfileLocation is its path as reports show it.
	Dockerfile, DockerfileLocation string
	Open                           OpenOptions
	Limits                         Limits
	// MaxSecretFileSize bounds the files the secret scan reads.
	MaxSecretFileSize int64
	Progress          scanners.Progress
}

// Scanner scans one image.
type Scanner struct {
	opts Options
}

// New returns a container scanner.
func New(opts Options) *Scanner {
	if opts.Limits.MaxFileSize <= 0 {
		opts.Limits.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Limits.MaxLayerSize <= 0 {
		opts.Limits.MaxLayerSize = DefaultMaxLayerSize
	}
	return &Scanner{opts: opts}
}

// Name implements scanners.Scanner.
func (*Scanner) Name() string { return findings.ScannerContainer }

// Scan implements scanners.Scanner. Every error names the image.
func (s *Scanner) Scan(ctx context.Context) (*scanners.Result, error) {
	res, err := s.scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", s.opts.Ref, err)
	}
	return res, nil
}

func (s *Scanner) scan(ctx context.Context) (*scanners.Result, error) {
	ref := s.opts.Ref
	s.opts.Progress.Report("opening image " + ref)
	v1img, err := Open(ctx, ref, s.opts.Open)
	if err != nil {
		return nil, err
	}
	cfg, err := v1img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("%w: read image configuration: %w", ErrHostileImage, err)
	}
	var df *dockerfile
	if s.opts.Dockerfile != "" {
		if df, err = parseDockerfile(s.opts.Dockerfile); err != nil {
			return nil, err
		}
	}

	guarded := &guardedImage{Image: v1img, limits: s.opts.Limits, diffIDs: cfg.RootFS.DiffIDs}
	s.opts.Progress.Report("reading the layers of " + ref)
	var img *image.Image
	osvlog.Run(nil, func() {
		img, err = image.FromV1Image(guarded, &image.Config{MaxFileBytes: s.opts.Limits.MaxFileSize + 1, MaxSymlinkDepth: image.DefaultMaxSymlinkDepth})
	})
	if gerr := guarded.Err(); gerr != nil {
		if img != nil {
			_ = img.CleanUp()
		}
		return nil, gerr
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostileImage, err)
	}
	defer img.CleanUp()

	loc := locator{df: df, dfPath: s.opts.DockerfileLocation, history: cfg.History}

	s.opts.Progress.Report("extracting packages from " + ref)
	pkgs, unparsable, err := s.extract(ctx, img)
	if err != nil {
		return nil, err
	}
	var matchable []*extractor.Package
	for _, p := range pkgs {
		if osv.Matchable(p) {
			matchable = append(matchable, p)
		}
	}
	s.opts.Progress.Report(fmt.Sprintf("matching %d packages of %s", len(matchable), ref))
	matched, err := s.opts.Matcher.Match(ctx, matchable)
	if err != nil {
		return nil, fmt.Errorf("match packages: %w", err)
	}
	engine := secrets.NewEngine(s.opts.Secrets)
	clean := commandCleaner(ctx, engine)
	layerOf := layerIndexer(cfg, clean)
	var out []findings.Finding
	for i, p := range matchable {
		var layer *findings.Layer
		if m := p.LayerMetadata; m != nil {
			layer = layerOf(string(m.DiffID), m.Command)
		}
		imgPath := "/" + strings.TrimPrefix(p.Location.PathOrEmpty(), "/")
		p.Location.Descriptor.File.Path = imageLocation(ref, imgPath)
		for _, f := range osv.Findings(findings.ScannerContainer, p, matched[i]) {
			f.Image = &findings.Image{Ref: ref, Path: imgPath, Layer: layer}
			loc.place(&f, layer)
			out = append(out, f)
		}
	}

	s.opts.Progress.Report("scanning the layers of " + ref + " for secrets")
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("read layers: %w", err)
	}
	secretStats := map[string]int{}
	for _, l := range layers {
		if l.IsEmpty() {
			continue
		}
		layer := layerOf(string(l.DiffID()), l.Command())
		fs, st, err := secrets.ScanFS(ctx, engine, l.FS(), "/", s.opts.MaxSecretFileSize)
		if err != nil {
			return nil, fmt.Errorf("scan layer %d (%s) for secrets: %w", layer.Index, l.DiffID(), err)
		}
		for k, v := range st {
			secretStats["secrets_"+k] += v
		}
		for _, f := range fs {
			imgPath := f.Location.Path
			f.Scanner = findings.ScannerContainer
			f.Location.Path = imageLocation(ref, imgPath)
			f.ID = findings.Fingerprint(findings.ScannerContainer, f.ID, ref, layer.DiffID)
			f.Image = &findings.Image{Ref: ref, Path: imgPath, Layer: layer}
			loc.place(&f, layer)
			out = append(out, f)
		}
	}
	out = append(out, configFindings(ctx, engine, ref, cfg, &loc, clean)...)
	findings.Sort(out)

	stats := map[string]int{
		"layers":               len(cfg.RootFS.DiffIDs),
		"packages":             len(pkgs),
		"packages_unmatchable": len(pkgs) - len(matchable),
		"files_unparsable":     unparsable,
	}
	for k, v := range secretStats {
		stats[k] = v
	}
	return &scanners.Result{
		Scan:     findings.Scan{Scanner: findings.ScannerContainer, Target: ref, Stats: stats},
		Findings: out,
	}, nil
}

// extract runs osv-scalibr's extractors over the image with each package's
// layer traced. An OS package database that cannot be read fails the scan
// (the gate cannot decide without it); other files that cannot be parsed
// (a broken package.json deep in node_modules) are counted.
func (s *Scanner) extract(ctx context.Context, img *image.Image) ([]*extractor.Package, int, error) {
	plugins, err := plugins()
	if err != nil {
		return nil, 0, err
	}
	caps := &plugin.Capabilities{OS: plugin.OSLinux, Network: plugin.NetworkOffline, DirectFS: true, RunningSystem: false}
	var sr *scalibr.ScanResult
	osvlog.Run(nil, func() {
		sr, err = scalibr.New().ScanContainer(ctx, img, &scalibr.ScanConfig{
			Plugins:         plugin.FilterByCapabilities(plugins, caps),
			Capabilities:    caps,
			ExplicitPlugins: true,
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("extract packages: %w", err)
	}
	if sr.Status.Status == plugin.ScanStatusFailed {
		return nil, 0, fmt.Errorf("extract packages: %s", sr.Status.FailureReason)
	}
	unparsable := 0
	var errs []error
	for _, ps := range sr.PluginStatus {
		for _, fe := range ps.Status.FileErrors {
			if strings.HasPrefix(ps.Name, "os/") {
				errs = append(errs, fmt.Errorf("%s: /%s: %s", ps.Name, fe.FilePath, fe.ErrorMessage))
			} else {
				unparsable++
			}
		}
	}
	if len(errs) > 0 {
		return nil, 0, fmt.Errorf("extract OS packages: %w", errors.Join(errs...))
	}
	return sr.Inventory.Packages, unparsable, nil
}

// extractorGroups are the osv-scalibr extractors run over images: OS
// package databases, built artifacts (Go and Rust binaries, Python wheels,
// Java archives, installed npm packages) and the lockfiles osv-scanner reads.
var extractorGroups = []string{"os", "go", "rust", "python", "java", "javascript", "ruby", "php", "dotnet", "cpp", "dart", "erlang", "haskell", "r", "swift"}

// irrelevant extractors for Linux images (and osv-scalibr's slow npm
// lockfile reader, replaced by npmlock).
var skipExtractors = []string{packagelockjson.Name, "os/macapps", "os/winget", "os/chocolatey", "os/macports"}

func plugins() ([]plugin.Plugin, error) {
	cfg := &config.PluginConfig{ProtoConfig: &cpb.PluginConfig{}}
	seen := map[string]bool{}
	var out []plugin.Plugin
	for _, g := range extractorGroups {
		exs, err := list.ExtractorsFromName(g, cfg)
		if err != nil {
			return nil, fmt.Errorf("extractors %s: %w", g, err)
		}
		for _, e := range exs {
			if seen[e.Name()] || slices.Contains(skipExtractors, e.Name()) {
				continue
			}
			seen[e.Name()] = true
			out = append(out, e)
		}
	}
	var npm filesystem.Extractor = npmlock.Extractor{}
	return append(out, npm), nil
}

// layerIndexer describes a layer by its diff id: its index among the
// image's filesystem layers (the order of the configuration's
// rootfs.diff_ids; history entries that add no layer do not count) and its
// history command, secrets redacted.
func layerIndexer(cfg *v1.ConfigFile, clean func(string) string) func(diffID, command string) *findings.Layer {
	index := map[string]int{}
	for i, d := range cfg.RootFS.DiffIDs {
		if _, ok := index[d.String()]; !ok {
			index[d.String()] = i
		}
	}
	return func(diffID, command string) *findings.Layer {
		i, ok := index[diffID]
		if !ok {
			i = -1
		}
		return &findings.Layer{Index: i, DiffID: diffID, Command: clean(command)}
	}
}

// commandCleaner returns a function that redacts the secrets in a layer's
// history command (RUN curl -H "Authorization: token ..."): findings carry
// the command, and a secret must never reach a report.
func commandCleaner(ctx context.Context, engine *secrets.Engine) func(string) string {
	cache := map[string]string{}
	return func(cmd string) string {
		if c, ok := cache[cmd]; ok {
			return c
		}
		c := cmd
		for _, hit := range engine.Detect(ctx, secrets.Blob{Path: "history", Content: []byte(cmd + "\n"), StartLine: 1}, nil) {
			if hit.Secret != "" {
				c = strings.ReplaceAll(c, hit.Secret, secrets.Redact(hit.Secret))
			}
		}
		cache[cmd] = c
		return c
	}
}

var unsafePathChars = regexp.MustCompile(`[^A-Za-z0-9._/-]+`)

// imageLocation is the stable, relative path reports use for a file in an
// image when no Dockerfile is given: image/<reference>/<path>. GitHub code
// scanning keys alerts on it, so it must not change between runs.
func imageLocation(ref, p string) string {
	loc := "image/" + strings.Trim(unsafePathChars.ReplaceAllString(ref, "_"), "/")
	if p = strings.TrimPrefix(p, "/"); p != "" {
		loc += "/" + p
	}
	return loc
}
