package secrets

import (
	"context"
	"slices"
	"strings"

	"github.com/zricethezav/gitleaks/v8/report"
)

// Redactor hides the secrets in text that secgate writes and that quotes
// input: an error message quoting a line of a file ("go.mod:6: unknown
// directive: ghp_…"), a file name. Findings never hold a secret; this
// holds every other output to the same rule.
type Redactor struct {
	engine *Engine
}

// NewRedactor returns a redactor that finds secrets with rules.
func NewRedactor(rules *Rules) *Redactor {
	return &Redactor{engine: NewEngine(rules)}
}

// Text returns s with every secret the rules find in it replaced by its
// redacted form (Engine.Redact): the prefix its rule's format makes public
// and an ellipsis.
func (r *Redactor) Text(ctx context.Context, s string) string {
	if r == nil || s == "" {
		return s
	}
	hits := r.engine.Detect(ctx, Blob{Path: "secgate-output", Content: []byte(s + "\n"), StartLine: 1}, nil)
	// Longest first, so that a secret holding another is replaced whole.
	slices.SortFunc(hits, func(a, b report.Finding) int { return len(b.Secret) - len(a.Secret) })
	for _, h := range hits {
		if h.Secret != "" {
			s = strings.ReplaceAll(s, h.Secret, r.engine.Redact(h))
		}
	}
	return s
}
