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
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	scalibr "github.com/google/osv-scalibr"
	"github.com/google/osv-scalibr/artifact/image/layerscanning/image"
	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	scalibryarn "github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/list"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/plugin/config"
	osvschema "github.com/ossf/osv-schema/bindings/go/osvschema"

	"github.com/secgate/secgate/extractors/npmlock"
	"github.com/secgate/secgate/extractors/yarnlock"
	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/osv"
	"github.com/secgate/secgate/scanners"
	"github.com/secgate/secgate/scanners/internal/osvlog"
	"github.com/secgate/secgate/scanners/secrets"
	"github.com/secgate/secgate/secretid"
)

// Options configure the container scanner.
type Options struct {
	// Dockerfile, when set, is the Dockerfile the images were built from:
	// findings then name the line of the instruction that created their
	// layer.
	Dockerfile string
	Registry   OpenOptions
	Limits     Limits
	// MaxSecretFileSize bounds the files the secret scan reads.
	MaxSecretFileSize int64
}

// Type is the container scanner, configured for a run: it applies to
// images.
type Type struct {
	opts  Options
	env   scanners.Env
	rules *secrets.RuleSource
}

// NewType returns the container scanner of a run, with its secret rules
// from rules.
func NewType(opts Options, env scanners.Env, rules *secrets.RuleSource) *Type {
	if opts.Limits.MaxFileSize <= 0 {
		opts.Limits.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Limits.MaxLayerSize <= 0 {
		opts.Limits.MaxLayerSize = DefaultMaxLayerSize
	}
	if opts.Limits.MaxLayers <= 0 {
		opts.Limits.MaxLayers = DefaultMaxLayers
	}
	if opts.Limits.MaxFileViews <= 0 {
		opts.Limits.MaxFileViews = DefaultMaxFileViews
	}
	if env.SecretIDs == nil {
		env.SecretIDs = secretid.New(nil)
	}
	return &Type{opts: opts, env: env, rules: rules}
}

// Name implements scanners.Type.
func (*Type) Name() string { return findings.ScannerContainer }

// Applies implements scanners.Type.
func (*Type) Applies(t scanners.Target) bool { return t.Kind == findings.TargetImage }

// New implements scanners.Type. It loads the secret rules and reads the
// Dockerfile.
func (ty *Type) New(t scanners.Target) (scanners.Scanner, error) {
	rules, _, err := ty.rules.Load()
	if err != nil {
		return nil, err
	}
	s := &scanner{target: t, opts: ty.opts, env: ty.env, rules: rules}
	if ty.opts.Dockerfile != "" {
		if s.df, err = parseDockerfile(ty.env.Root.Dir(), ty.opts.Dockerfile); err != nil {
			return nil, err
		}
		s.dfName, _ = ty.env.Root.Rel(ty.opts.Dockerfile)
	}
	return s, nil
}

// Identity implements scanners.Type. A container finding's ID holds the
// image's name and the layer's diff id, to tell images and layers apart
// within one run; across runs both change with every build (app:main vs
// app:pr-42, a rebuilt layer), so its identity is what the finding says of
// the problem instead: kind, rule, path in the image, package and
// version, the image configuration entry (in a misconfiguration's title),
// and for a secret its fingerprint.
func (*Type) Identity(f *findings.Finding) string {
	parts := []string{"container", string(f.Kind), f.RuleID}
	if f.Kind == findings.KindMisconfiguration {
		parts = append(parts, f.Title) // names the ENV variable or history entry
	}
	if f.Image != nil {
		parts = append(parts, f.Image.Path)
	}
	if p := f.Package; p != nil {
		parts = append(parts, p.Ecosystem, p.Name, p.Version)
	}
	if s := f.Secret; s != nil {
		parts = append(parts, s.Fingerprint)
	}
	return findings.Fingerprint(parts...)
}

// scanner scans one image.
type scanner struct {
	target scanners.Target
	opts   Options
	env    scanners.Env
	rules  *secrets.Rules
	df     *dockerfile
	dfName string // the Dockerfile's path relative to the report root
}

// Scan implements scanners.Scanner. Every error names the image as the
// user gave it.
func (s *scanner) Scan(ctx context.Context) (*scanners.Result, error) {
	res, err := s.scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", s.target.Path, err)
	}
	return res, nil
}

func (s *scanner) scan(ctx context.Context) (*scanners.Result, error) {
	name := s.target.Name
	progress := s.env.Progress
	progress.Report("opening image " + name)
	v1img, err := Open(ctx, s.target.Path, s.opts.Registry)
	if err != nil {
		return nil, err
	}
	if c, ok := v1img.(io.Closer); ok { // an archive's open file
		defer c.Close()
	}
	cfg, err := v1img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("%w: read image configuration: %w", ErrHostileImage, err)
	}
	if err := checkLayers(v1img, cfg, s.opts.Limits); err != nil {
		return nil, err
	}

	_, isLayout := v1img.(layoutImage)
	guarded := &guardedImage{Image: v1img, cfg: cfg, limits: s.opts.Limits, diffIDs: cfg.RootFS.DiffIDs, verifyDigests: isLayout}
	progress.Report("reading the layers of " + name)
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

	loc := locator{df: s.df, dfPath: s.dfName, history: cfg.History}

	progress.Report("extracting packages from " + name)
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
	progress.Report(fmt.Sprintf("matching %d packages of %s", len(matchable), name))
	matched, err := s.env.Matcher.Match(ctx, matchable)
	if err != nil {
		return nil, fmt.Errorf("match packages: %w", err)
	}
	engine := secrets.NewEngine(s.rules)
	clean := commandCleaner(ctx, engine)
	layerOf := layerIndexer(cfg, clean)
	var out []findings.Finding
	// add places a finding of a layer (nil: of no layer): the file in the
	// image, the layer, the Dockerfile line, an ID that tells images and
	// layers apart.
	add := func(f findings.Finding, imgPath string, layer *findings.Layer) {
		diffID := ""
		if layer != nil {
			diffID = layer.DiffID
		}
		f.Scanner = findings.ScannerContainer
		f.ID = findings.Fingerprint(findings.ScannerContainer, f.ID, name, diffID)
		f.Image = &findings.Image{Ref: name, Path: imgPath, Layer: layer}
		loc.place(&f, layer)
		out = append(out, f)
	}
	binaries := map[string]*goBinary{} // by path in the image
	for i, p := range matchable {
		var layer *findings.Layer
		if m := p.LayerMetadata; m != nil {
			layer = layerOf(string(m.DiffID), m.Command)
		}
		rel := strings.TrimPrefix(p.Location.PathOrEmpty(), "/")
		line := 0
		if d := p.Location.Descriptor; d != nil && d.File != nil {
			line = d.File.LineNumber
		}
		start := len(out)
		for _, f := range osv.Findings(findings.ScannerContainer, p, findings.Location{Path: rel, Line: line}, matched[i]) {
			add(f, "/"+rel, layer)
		}
		if s.env.Reach != nil && len(out) > start && slices.Contains(p.Plugins, gobinary.Name) {
			b := binaries[rel]
			if b == nil {
				b = &goBinary{}
				binaries[rel] = b
			}
			b.findings = append(b.findings, [2]int{start, len(out)})
			b.vulns = append(b.vulns, matched[i]...)
		}
	}
	var reachWarnings []string
	if len(binaries) > 0 {
		if reachWarnings, err = s.reach(ctx, img, binaries, out); err != nil {
			return nil, err
		}
	}

	progress.Report("scanning the layers of " + name + " for secrets")
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
		fs, st, err := secrets.ScanFS(ctx, engine, s.env.SecretIDs, l.FS(), "/", s.opts.MaxSecretFileSize)
		if err != nil {
			return nil, fmt.Errorf("scan layer %d (%s) for secrets: %w", layer.Index, l.DiffID(), err)
		}
		for k, v := range st {
			secretStats["secrets_"+k] += v
		}
		for _, f := range fs {
			rel := strings.TrimPrefix(f.Location.Path, "/")
			f.Location.Path = rel
			add(f, "/"+rel, layer)
		}
	}
	for _, c := range configFindings(ctx, engine, cfg, &loc, clean) {
		add(c.finding, "", c.layer)
	}
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
	scan := findings.Scan{Stats: stats, Warnings: append(osv.Warnings(s.env.Matcher, matchable), reachWarnings...)}
	return &scanners.Result{Scan: scan, Findings: out}, nil
}

// goBinary is a Go binary of the image with vulnerability findings: their
// ranges in the scan's findings and the records they were matched with.
type goBinary struct {
	findings [][2]int
	vulns    []*osvschema.Vulnerability
}

// reach has each Go binary with findings analyzed (govulncheck's binary
// mode reads a file, so each is copied out of the image first, within the
// file size limit the scan already enforces).
func (s *scanner) reach(ctx context.Context, img *image.Image, binaries map[string]*goBinary, out []findings.Finding) ([]string, error) {
	tmp, err := os.MkdirTemp("", "secgate-gobinary-")
	if err != nil {
		return nil, fmt.Errorf("analyze reachability: %w", err)
	}
	defer os.RemoveAll(tmp)
	paths := slices.Sorted(maps.Keys(binaries))
	var warnings []string
	for i, rel := range paths {
		s.env.Progress.Report(fmt.Sprintf("analyzing reachability in /%s (%d of %d Go binaries)", rel, i+1, len(paths)))
		b := binaries[rel]
		var fs []*findings.Finding
		for _, r := range b.findings {
			for j := r[0]; j < r[1]; j++ {
				fs = append(fs, &out[j])
			}
		}
		name := s.target.Name + ":/" + rel
		bin := filepath.Join(tmp, strconv.Itoa(i))
		if err := copyOut(img, rel, bin, s.opts.Limits.MaxFileSize); err != nil {
			for _, f := range fs {
				f.Reachability = &findings.Reachability{Status: findings.ReachUnknown, Mode: findings.ReachBinary, Reason: err.Error()}
			}
			warnings = append(warnings, fmt.Sprintf("reachability of %s unknown: %v", name, err))
			continue
		}
		warnings = append(warnings, s.env.Reach.Binary(ctx, name, bin, b.vulns, fs)...)
		if err := os.Remove(bin); err != nil {
			return nil, fmt.Errorf("analyze reachability: %w", err)
		}
	}
	return warnings, nil
}

// copyOut copies the image's file rel to dst, at most limit bytes.
func copyOut(img *image.Image, rel, dst string, limit int64) error {
	src, err := img.FS().Open(rel)
	if err != nil {
		return fmt.Errorf("read /%s: %w", rel, err)
	}
	defer src.Close()
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("copy /%s: %w", rel, err)
	}
	n, err := io.Copy(f, io.LimitReader(src, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = fmt.Errorf("larger than %d bytes", limit)
	}
	if err != nil {
		return fmt.Errorf("copy /%s: %w", rel, err)
	}
	return nil
}

// extract runs osv-scalibr's extractors over the image with each package's
// layer traced. An OS package database that cannot be read fails the scan
// (the gate cannot decide without it); other files that cannot be parsed
// (a broken package.json deep in node_modules) are counted.
func (s *scanner) extract(ctx context.Context, img *image.Image) ([]*extractor.Package, int, error) {
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
	// osv-scalibr reports a cancelled scan only as a status text.
	if err := ctx.Err(); err != nil {
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

// irrelevant extractors for Linux images (and osv-scalibr's slow npm and
// yarn lockfile readers, replaced by npmlock and yarnlock).
var skipExtractors = []string{packagelockjson.Name, scalibryarn.Name, "os/macapps", "os/winget", "os/chocolatey", "os/macports"}

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
	// An entry without a version is a package without one, as osv-scalibr's
	// yarn.lock reader gives it: an unparsable file is skipped in images.
	return append(out, filesystem.Extractor(npmlock.Extractor{}), yarnlock.Extractor{AllowNoVersion: true}), nil
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
				c = strings.ReplaceAll(c, hit.Secret, engine.Redact(hit))
			}
		}
		cache[cmd] = c
		return c
	}
}
