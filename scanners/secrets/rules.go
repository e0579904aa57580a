package secrets

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/detect"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/safefile"
)

// Rules is a compiled gitleaks rule set: gitleaks' default rules, or a
// gitleaks-compatible .gitleaks.toml (which may extend the defaults).
type Rules struct {
	cfg config.Config
	// rules by id, sorted by id.
	rules []*rule
	// byID holds every rule, path rules included.
	byID map[string]*rule
	// pathOnly detects the rules that match a file by its path alone
	// (pkcs12-file); it is run once per file.
	pathOnly *detect.Detector
	// full runs every rule with decoding on: used on the lines that hold
	// an encoded (base64, hex, percent, unicode) blob.
	full *detect.Detector
}

// rule is one gitleaks rule with a detector that runs it alone.
type rule struct {
	id  string
	det *detect.Detector
	// A match can hold at most linesAfter newlines after the keyword hit's
	// line and linesBefore before it; unbounded rules (a PEM block) use
	// byte windows instead.
	linesBefore, linesAfter int
	unbounded               bool
	// suffix, for rules on gitleaks' "key ... = value" template, is the
	// anchored expression from the keyword on (see keywordSuffix).
	suffix *regexp.Regexp
	// anchored, for rules whose matches start with a keyword, is the
	// expression anchored at its start (see keywordAnchored).
	anchored *regexp.Regexp
	// whole is set for rules whose matches need not hold a keyword: as in
	// gitleaks, a keyword anywhere in the blob runs them over all of it.
	whole bool
	// maxLen is the most bytes a match spans, -1 for no bound.
	maxLen int
	// lineLists are the rule's allowlists on the finding's line, which
	// the Engine applies (see lineAllowed).
	lineLists  []*config.Allowlist
	severity   findings.Severity
	confidence string
	title      string
	// keywords are the rule's, lower case.
	keywords []string
}

// ruleDetector is the detector of one rule. It leaves the allow signatures
// (gitleaks:allow) to the Engine, which tests each line once (dropAllowed).
func ruleDetector(cfg config.Config) *detect.Detector {
	d := detect.NewDetector(cfg)
	d.IgnoreGitleaksAllow = true
	return d
}

// lineAllowed reports whether allowlist a, which tests a finding's line
// and path only, allows a finding in path on line (called at most once
// per line), with gitleaks' conditions: OR, either test that a sets;
// AND, every test it sets.
func lineAllowed(a *config.Allowlist, path string, line func() string) bool {
	hasPaths, hasRegexes := len(a.Paths) > 0, len(a.Regexes) > 0
	if a.MatchCondition == config.AllowlistMatchAnd {
		return (hasPaths || hasRegexes) && (!hasPaths || a.PathAllowed(path)) && (!hasRegexes || a.RegexAllowed(line()))
	}
	return hasPaths && a.PathAllowed(path) || hasRegexes && a.RegexAllowed(line())
}

// maxShown is the longest public prefix a redacted secret shows.
const maxShown = 10

// redact returns the part of secret that the rule's format makes public
// and an ellipsis: the longest of its keywords that the secret starts with
// ("AKIA", "ghp_", "-----BEGIN"), when that is at most maxShown characters
// and less than half the secret. Any other character would narrow a guess:
// nothing else is shown, and nothing at all for low-confidence rules,
// whose secrets are often words.
func (r *rule) redact(secret string) string {
	if secret == "" {
		return ""
	}
	shown := 0
	if r != nil && r.confidence != ConfidenceLow {
		lower := strings.ToLower(secret)
		for _, k := range r.keywords {
			if len(k) > shown && len(k) <= maxShown && 2*len(k) < len(secret) && strings.HasPrefix(lower, k) {
				shown = len(k)
			}
		}
	}
	return secret[:shown] + "…"
}

// Confidence of a secret finding.
const (
	ConfidenceHigh = "high"
	ConfidenceLow  = "low"
)

// maxDecodeDepth is gitleaks' default for recursive decoding passes.
const maxDecodeDepth = 5

// DefaultRules compiles gitleaks' built-in rules.
func DefaultRules() (*Rules, error) {
	cfg, err := defaultConfig()
	if err != nil {
		return nil, fmt.Errorf("load gitleaks default rules: %w", err)
	}
	return compile(cfg)
}

func defaultConfig() (config.Config, error) {
	p, err := parseConfig(config.DefaultConfig, "")
	if err != nil {
		return config.Config{}, err
	}
	return p.assemble()
}

// LoadRules compiles a gitleaks-compatible TOML config. An [extend] section
// with useDefault = true (or a path) adds the rules it extends.
//
// gitleaks' own loader keeps a process-wide extension depth in a package
// variable and never resets it: the third config loaded in one process
// silently loses its default rules. secgate therefore parses with a private
// viper instance and does the extension itself, with gitleaks' merge rules,
// and validates the rules once they are merged, as gitleaks does.
//
// dir is the scanned repository ("" for none): the file, and the files it
// extends, are read as package safefile reads files a repository names.
func LoadRules(dir, path string) (*Rules, error) {
	p, err := loadConfigFile(dir, path, 0)
	if err != nil {
		return nil, err
	}
	cfg, err := p.assemble()
	if err != nil {
		return nil, fmt.Errorf("load secrets config %s: %w", path, err)
	}
	return compile(cfg)
}

const maxExtendDepth = 2

// parsed is a config and those of the configs it extends, merged but not
// yet validated: a rule may be partial (an allowlist added to a default
// rule by its id alone) until the rules it extends are in.
type parsed struct {
	cfg config.Config
	// targeted are the global [[allowlists]] with targetRules, by rule
	// id, in the order of the files.
	targeted map[string][]*config.Allowlist
}

func loadConfigFile(dir, path string, depth int) (parsed, error) {
	data, err := safefile.Read(dir, path, safefile.Rules)
	if err != nil {
		return parsed{}, err
	}
	p, err := parseConfig(string(data), path)
	if err != nil {
		return parsed{}, fmt.Errorf("load secrets config %s: %w", path, err)
	}
	ext := p.cfg.Extend
	var base parsed
	switch {
	case ext.URL != "":
		return parsed{}, fmt.Errorf("load secrets config %s: [extend] url is not supported", path)
	case ext.UseDefault && ext.Path != "":
		return parsed{}, fmt.Errorf("load secrets config %s: [extend] sets both path and useDefault", path)
	case depth >= maxExtendDepth && (ext.UseDefault || ext.Path != ""):
		return parsed{}, fmt.Errorf("load secrets config %s: [extend] nested deeper than %d", path, maxExtendDepth)
	case ext.UseDefault:
		if base, err = parseConfig(config.DefaultConfig, ""); err != nil {
			return parsed{}, err
		}
	case ext.Path != "":
		if base, err = loadConfigFile(dir, ext.Path, depth+1); err != nil {
			return parsed{}, err
		}
	default:
		return p, nil
	}
	extend(&p.cfg, base.cfg)
	for id, lists := range base.targeted {
		p.targeted[id] = append(p.targeted[id], lists...)
	}
	return p, nil
}

// assemble validates the merged rules as gitleaks does after extension
// (every rule has an expression or a path, its secret group exists) and
// adds the targeted allowlists to the rules they name.
func (p parsed) assemble() (config.Config, error) {
	cfg := p.cfg
	for _, id := range slices.Sorted(maps.Keys(cfg.Rules)) {
		r := cfg.Rules[id]
		if err := r.Validate(); err != nil {
			return config.Config{}, err
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.targeted)) {
		r, ok := cfg.Rules[id]
		if !ok {
			return config.Config{}, fmt.Errorf("[[allowlists]] target rule ID '%s' does not exist", id)
		}
		r.Allowlists = append(slices.Clone(r.Allowlists), p.targeted[id]...)
		cfg.Rules[id] = r
	}
	return cfg, nil
}

// parseConfig parses a gitleaks TOML config without following [extend] and
// without validating what extension may complete. gitleaks compiles the
// config's expressions with MustCompile: a bad one panics, which is turned
// into an error.
func parseConfig(toml, path string) (p parsed, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(toml)); err != nil {
		return parsed{}, err
	}
	var vc config.ViperConfig
	if err := v.Unmarshal(&vc); err != nil {
		return parsed{}, err
	}
	ext := vc.Extend
	vc.Extend = config.Extend{} // extension is done by loadConfigFile

	// gitleaks' Translate validates rules and targets too early for a
	// config that extends another: a rule that only adds allowlists to a
	// default rule gets a stand-in expression, removed after, and the
	// targets of global allowlists are taken out and applied by assemble.
	partial := map[string]bool{}
	for i := range vc.Rules {
		r := &vc.Rules[i]
		if r.Regex == "" && r.Path == "" {
			partial[r.ID] = true
			r.Regex = strings.Repeat("()", max(1, r.SecretGroup))
		}
	}
	globals := vc.Allowlists
	if vc.AllowList != nil && len(vc.Allowlists) == 0 {
		globals = append(globals, vc.AllowList) // Translate's order
	}
	targets := make([][]string, len(globals))
	for i, a := range globals {
		targets[i], a.TargetRules = a.TargetRules, nil
	}

	cfg, err := vc.Translate()
	if err != nil {
		return parsed{}, err
	}
	for id := range partial {
		r := cfg.Rules[id]
		r.Regex = nil
		cfg.Rules[id] = r
	}
	p = parsed{targeted: map[string][]*config.Allowlist{}}
	if len(cfg.Allowlists) != len(globals) {
		return parsed{}, fmt.Errorf("%d global allowlists parsed of %d", len(cfg.Allowlists), len(globals))
	}
	all := cfg.Allowlists
	cfg.Allowlists = nil
	for i, a := range all {
		if len(targets[i]) == 0 {
			cfg.Allowlists = append(cfg.Allowlists, a)
			continue
		}
		for _, id := range targets[i] {
			p.targeted[id] = append(p.targeted[id], a)
		}
	}
	cfg.Extend = ext
	cfg.Path = path
	p.cfg = cfg
	return p, nil
}

// extend merges base into cfg as gitleaks does: rules of base that cfg does
// not define (and does not disable) are added; for a rule in both, cfg's
// non-empty fields win and tags, keywords and allowlists are appended.
// Global allowlists are appended.
func extend(cfg *config.Config, base config.Config) {
	if cfg.Rules == nil {
		cfg.Rules = map[string]config.Rule{}
	}
	if cfg.Keywords == nil {
		cfg.Keywords = map[string]struct{}{}
	}
	for id, b := range base.Rules {
		if slices.Contains(cfg.Extend.DisabledRules, id) {
			continue
		}
		if cur, ok := cfg.Rules[id]; ok {
			if cur.Description != "" {
				b.Description = cur.Description
			}
			if cur.Entropy != 0 {
				b.Entropy = cur.Entropy
			}
			if cur.SecretGroup != 0 {
				b.SecretGroup = cur.SecretGroup
			}
			if cur.Regex != nil {
				b.Regex = cur.Regex
			}
			if cur.Path != nil {
				b.Path = cur.Path
			}
			b.Tags = append(slices.Clone(b.Tags), cur.Tags...)
			b.Keywords = append(slices.Clone(b.Keywords), cur.Keywords...)
			b.Allowlists = append(slices.Clone(b.Allowlists), cur.Allowlists...)
		} else {
			cfg.OrderedRules = append(cfg.OrderedRules, id)
		}
		for _, k := range b.Keywords {
			cfg.Keywords[strings.ToLower(k)] = struct{}{}
		}
		cfg.Rules[id] = b
	}
	cfg.Allowlists = append(cfg.Allowlists, base.Allowlists...)
	sort.Strings(cfg.OrderedRules)
}

// assignmentTemplate is the part of gitleaks' generated "key = value"
// rules (generic-api-key and the provider rules built like it) between
// the keyword and the assignment operator.
const assignmentTemplate = `(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)`

func compile(cfg config.Config) (*Rules, error) {
	if len(cfg.Rules) == 0 {
		return nil, errors.New("secrets config defines no rules")
	}
	r := &Rules{cfg: cfg}
	pathOnly := config.Config{Rules: map[string]config.Rule{}, Keywords: map[string]struct{}{}, Allowlists: cfg.Allowlists}
	contentAllowlists, err := withoutOrPaths(cfg.Allowlists)
	if err != nil {
		return nil, err
	}
	for id, cr := range cfg.Rules {
		if len(cr.RequiredRules) > 0 {
			return nil, fmt.Errorf("rule %s: composite rules ([[rules.required]]) are not supported", id)
		}
		if cr.Regex == nil {
			pathOnly.Rules[id] = cr
			continue
		}
		if len(cr.Keywords) == 0 {
			// No keyword to find it by: the rule runs over whole files.
			cr.Keywords = nil
		}
		// Allowlists that test a finding's line (and its path) are
		// applied by the Engine, once per line: gitleaks' detector tests
		// the line again for every finding on it, which on one long
		// minified line costs findings × line.
		var lineLists []*config.Allowlist
		kept := cr.Allowlists[:0:0]
		for _, a := range cr.Allowlists {
			if a.RegexTarget == "line" && len(a.Commits) == 0 && len(a.StopWords) == 0 {
				lineLists = append(lineLists, a)
			} else {
				kept = append(kept, a)
			}
		}
		cr.Allowlists = kept
		one := config.Config{
			Rules:      map[string]config.Rule{id: cr},
			Keywords:   map[string]struct{}{},
			Allowlists: contentAllowlists,
		}
		for _, k := range cr.Keywords {
			one.Keywords[strings.ToLower(k)] = struct{}{}
		}
		re := cr.Regex.String()
		nl := maxNewlines(re)
		var suffix, anchored *regexp.Regexp
		if strings.Contains(re, assignmentTemplate) {
			suffix = keywordSuffix(re, cr.Keywords)
		} else {
			anchored = keywordAnchored(re, cr.Keywords)
		}
		r.rules = append(r.rules, &rule{
			id:          id,
			det:         ruleDetector(one),
			linesBefore: nl,
			linesAfter:  nl,
			unbounded:   nl < 0,
			suffix:      suffix,
			anchored:    anchored,
			whole:       len(cr.Keywords) > 0 && suffix == nil && anchored == nil && !holdsKeyword(re, cr.Keywords),
			maxLen:      maxMatchLen(re),
			lineLists:   lineLists,
			severity:    severityOf(id),
			confidence:  confidenceOf(id, cr),
			title:       titleOf(id, cr),
			keywords:    cr.Keywords,
		})
	}
	slices.SortFunc(r.rules, func(a, b *rule) int { return strings.Compare(a.id, b.id) })
	r.byID = map[string]*rule{}
	for _, x := range r.rules {
		r.byID[x.id] = x
	}
	for id, cr := range pathOnly.Rules {
		r.byID[id] = &rule{id: id, severity: severityOf(id), confidence: confidenceOf(id, cr), title: titleOf(id, cr), keywords: cr.Keywords}
	}
	r.pathOnly = detect.NewDetector(pathOnly)
	r.full = detect.NewDetector(cfg)
	r.full.MaxDecodeDepth = maxDecodeDepth
	return r, nil
}

// withoutOrPaths returns the global allowlists with the path patterns of
// the "OR" ones removed: the Engine skips the files those match before it
// reads them, and gitleaks would otherwise test every path again for each
// window it is handed. "AND" allowlists, whose paths only count together
// with their other checks, are kept whole.
func withoutOrPaths(lists []*config.Allowlist) ([]*config.Allowlist, error) {
	out := make([]*config.Allowlist, 0, len(lists))
	for _, a := range lists {
		if a.MatchCondition != config.AllowlistMatchOr || len(a.Paths) == 0 {
			out = append(out, a)
			continue
		}
		if len(a.Commits) == 0 && len(a.Regexes) == 0 && len(a.StopWords) == 0 {
			continue // a paths-only list: nothing left to check
		}
		c := &config.Allowlist{
			Description:    a.Description,
			MatchCondition: a.MatchCondition,
			Commits:        a.Commits,
			RegexTarget:    a.RegexTarget,
			Regexes:        a.Regexes,
			StopWords:      a.StopWords,
		}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("global allowlist %q: %w", a.Description, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// Len is the number of rules.
func (r *Rules) Len() int { return len(r.rules) + len(r.pathOnly.Config.Rules) }

// pathAllowed reports a file that the global allowlists exempt by path
// (lockfiles, vendored code, ...).
func (r *Rules) pathAllowed(path string) bool {
	for _, a := range r.cfg.Allowlists {
		if a.MatchCondition == config.AllowlistMatchOr && a.PathAllowed(path) {
			return true
		}
	}
	return false
}

// criticalPrefixes are the rules whose secrets are cloud-provider or
// source-control/CI credentials, and private keys: their findings are
// critical. Every other rule's are high.
var criticalPrefixes = []string{
	"aws-", "gcp-", "azure-", "alibaba-", "digitalocean-", "cloudflare-", "heroku-", "hashicorp-",
	"yandex-", "flyio-", "github-", "gitlab-", "bitbucket-", "droneci-", "travisci-", "codecov-",
	"npm-", "pypi-", "rubygems-", "clojars-", "vault-", "private-key", "age-secret-key",
	"kubernetes-secret", "openshift-",
}

func severityOf(id string) findings.Severity {
	for _, p := range criticalPrefixes {
		if strings.HasPrefix(id, p) {
			return findings.SeverityCritical
		}
	}
	return findings.SeverityHigh
}

// confidenceOf is low for generic rules (gitleaks' generic-api-key and any
// rule named generic-*) and for rules a config tags "confidence:low"; high
// for provider rules with a fixed format.
func confidenceOf(id string, r config.Rule) string {
	if strings.Contains(id, "generic") || slices.Contains(r.Tags, "confidence:low") {
		return ConfidenceLow
	}
	return ConfidenceHigh
}

func titleOf(id string, r config.Rule) string {
	if r.Description != "" {
		return r.Description
	}
	return "Secret matching rule " + id
}
