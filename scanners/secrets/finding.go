package secrets

import (
	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/secretid"
)

// allowSignatures on a finding's line drop the finding (dropAllowed):
// gitleaks' own, and secgate's.
var allowSignatures = []string{"secgate:allow", "gitleaks:allow"}

// toFinding turns a gitleaks finding into a secgate finding. The secret
// itself goes only into its fingerprint (keyed or slow, see package
// secretid): the finding keeps the prefix its rule's format makes public.
func toFinding(f report.Finding, r *rule, ids *secretid.Deriver) findings.Finding {
	var fp string
	if f.Secret != "" {
		// The scope salts the fingerprint: a guess is tested per rule
		// and file, never against every report at once.
		fp = ids.Of(f.RuleID+"\x00"+f.File, f.Secret)
	}
	out := findings.Finding{
		ID:       findings.Fingerprint(findings.ScannerSecrets, f.RuleID, f.File, fp),
		Kind:     findings.KindSecret,
		Scanner:  findings.ScannerSecrets,
		RuleID:   f.RuleID,
		Title:    r.title,
		Severity: r.severity,
		Location: findings.Location{Path: f.File, Line: f.StartLine, Column: f.StartColumn},
		Secret: &findings.Secret{
			Redacted:    r.redact(f.Secret),
			Confidence:  r.confidence,
			Fingerprint: fp,
		},
	}
	if f.Commit != "" {
		out.Commit = &findings.Commit{SHA: f.Commit, AuthorEmail: f.Email, Date: f.Date}
	}
	return out
}

// Redact returns what a report may show of the secret of f, a finding of
// the engine's rules: the prefix its rule's format makes public and an
// ellipsis.
func (e *Engine) Redact(f report.Finding) string {
	return e.rules.byID[f.RuleID].redact(f.Secret)
}
