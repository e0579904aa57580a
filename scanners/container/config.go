package container

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/scanners/secrets"
)

// Rules of the image configuration findings (kind misconfiguration).
const (
	RuleRunsAsRoot    = "image-runs-as-root"
	RuleEnvSecret     = "image-env-secret"
	RuleEnvCredential = "image-env-credential"
	RuleHistorySecret = "image-history-secret"
)

// credentialName matches environment variable names that hold credentials.
var credentialName = regexp.MustCompile(`(?i)(passw(or)?d|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)`)

// configFinding is a finding about the image's configuration, and the layer
// it is about (nil for none).
type configFinding struct {
	finding findings.Finding
	layer   *findings.Layer
}

// configFindings reports the image's configuration: a root user, and
// credentials in ENV or in the history's commands. Values never appear in
// the findings: an ENV finding names the variable, a history finding the
// layer and the rule. The findings have no path: they are about the whole
// image, or with a Dockerfile about its USER, ENV or layer's instruction.
func configFindings(ctx context.Context, engine *secrets.Engine, cfg *v1.ConfigFile, loc *locator, clean func(string) string) []configFinding {
	var out []configFinding
	mk := func(rule, title string, sev findings.Severity, key string, layer *findings.Layer) configFinding {
		f := findings.Finding{
			ID:       findings.Fingerprint(findings.ScannerContainer, rule, key),
			Kind:     findings.KindMisconfiguration,
			RuleID:   rule,
			Title:    title,
			Severity: sev,
		}
		if loc.df != nil && layer == nil {
			f.Location.Dockerfile = &findings.FileLine{Path: loc.dfPath, Line: loc.configLine(rule)}
		}
		return configFinding{finding: f, layer: layer}
	}

	if runsAsRoot(cfg.Config.User) {
		user := cfg.Config.User
		if user == "" {
			user = "unset"
		}
		out = append(out, mk(RuleRunsAsRoot, fmt.Sprintf("Image runs as root (USER %s)", user), findings.SeverityMedium, "", nil))
	}

	for _, kv := range cfg.Config.Env {
		key, value, _ := strings.Cut(kv, "=")
		if value == "" {
			continue
		}
		hits := engine.Detect(ctx, secrets.Blob{Path: "ENV", Content: []byte(kv + "\n"), StartLine: 1}, nil)
		switch {
		case len(hits) > 0:
			out = append(out, mk(RuleEnvSecret, fmt.Sprintf("Credential in image ENV %s (%s)", key, hits[0].RuleID), findings.SeverityCritical, key, nil))
		case credentialName.MatchString(key) && !strings.HasPrefix(value, "$") && !strings.HasPrefix(value, "/"):
			out = append(out, mk(RuleEnvCredential, fmt.Sprintf("Image ENV %s looks like a credential", key), findings.SeverityHigh, key, nil))
		}
	}

	index := 0 // layer index of the next layer-creating history entry
	for i, h := range cfg.History {
		var layer *findings.Layer
		if !h.EmptyLayer {
			layer = &findings.Layer{Index: index, Command: clean(h.CreatedBy)}
			if index < len(cfg.RootFS.DiffIDs) {
				layer.DiffID = cfg.RootFS.DiffIDs[index].String()
			}
			index++
		}
		var rules []string
		for _, hit := range engine.Detect(ctx, secrets.Blob{Path: "history", Content: []byte(h.CreatedBy + "\n"), StartLine: 1}, nil) {
			if !slices.Contains(rules, hit.RuleID) {
				rules = append(rules, hit.RuleID)
			}
		}
		if len(rules) > 0 {
			slices.Sort(rules)
			list := strings.Join(rules, ", ")
			out = append(out, mk(RuleHistorySecret, fmt.Sprintf("Credential in image history entry %d (%s)", i, list), findings.SeverityCritical, fmt.Sprintf("%d", i), layer))
		}
	}
	return out
}

// runsAsRoot reports a USER that is empty (root by default), root or uid 0.
func runsAsRoot(user string) bool {
	u, _, _ := strings.Cut(strings.TrimSpace(user), ":")
	return u == "" || u == "root" || u == "0"
}

// configLine is the Dockerfile line for a configuration finding: the last
// USER instruction for the root user, the last ENV otherwise, else FROM.
func (l *locator) configLine(rule string) int {
	want := "ENV"
	if rule == RuleRunsAsRoot {
		want = "USER"
	}
	line := l.df.from.line
	for _, in := range l.df.instructions {
		if in.keyword == want {
			line = in.line
		}
	}
	return line
}
