package secrets

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"github.com/zricethezav/gitleaks/v8/report"

	"github.com/secgate/secgate/findings"
)

// allowSignatures on a finding's line drop the finding, as gitleaks does for
// its own signature (which its detector already honours).
var allowSignatures = []string{"secgate:allow", "gitleaks:allow"}

func allowed(f report.Finding) bool {
	for _, s := range allowSignatures {
		if strings.Contains(f.Line, s) {
			return true
		}
	}
	return false
}

// toFinding turns a gitleaks finding into a secgate finding. The secret
// itself goes only into a hash: the finding keeps at most its first four
// characters and its length.
func toFinding(f report.Finding, r *rule) findings.Finding {
	sum := sha256.Sum256([]byte(f.Secret))
	out := findings.Finding{
		ID:       findings.Fingerprint(findings.ScannerSecrets, f.RuleID, f.File, hex.EncodeToString(sum[:])),
		Kind:     findings.KindSecret,
		Scanner:  findings.ScannerSecrets,
		RuleID:   f.RuleID,
		Title:    r.title,
		Severity: r.severity,
		Location: findings.Location{Path: f.File, Line: f.StartLine, Column: f.StartColumn},
		Secret: &findings.Secret{
			Redacted:   Redact(f.Secret),
			Length:     utf8.RuneCountInString(f.Secret),
			Confidence: r.confidence,
			Entropy:    float64(int(f.Entropy*100)) / 100,
		},
	}
	if f.Commit != "" {
		out.Commit = &findings.Commit{SHA: f.Commit, AuthorEmail: f.Email, Date: f.Date}
	}
	return out
}

// Redact keeps at most the first 4 characters of a secret, fewer for short
// ones (a quarter of its length), followed by an ellipsis.
func Redact(secret string) string {
	n := utf8.RuneCountInString(secret)
	if n == 0 {
		return ""
	}
	keep := min(4, n/4)
	i := 0
	for range keep {
		_, size := utf8.DecodeRuneInString(secret[i:])
		i += size
	}
	return secret[:i] + "…"
}
