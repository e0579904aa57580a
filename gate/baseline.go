package gate

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/secgate/secgate/findings"
)

// Baseline is the set of findings of an earlier run, by identity (see
// identity), against which a scan marks its findings new or existing.
type Baseline map[string]bool

// LoadBaseline reads a JSON report written by secgate scan --format json.
func LoadBaseline(path string) (Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	var doc findings.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", path, err)
	}
	if doc.SchemaVersion != findings.SchemaVersion {
		return nil, fmt.Errorf("read baseline %s: schema_version %d, want %d (a secgate JSON report)", path, doc.SchemaVersion, findings.SchemaVersion)
	}
	b := make(Baseline, len(doc.Findings))
	for i := range doc.Findings {
		b[identity(&doc.Findings[i])] = true
	}
	return b, nil
}

// Mark sets each finding's Baseline: existing when the baseline holds a
// finding of the same identity, new otherwise.
func (b Baseline) Mark(doc *findings.Document) {
	for i := range doc.Findings {
		f := &doc.Findings[i]
		f.Baseline = findings.BaselineNew
		if b[identity(f)] {
			f.Baseline = findings.BaselineExisting
		}
	}
}

// identity is what makes a finding "the same" across two runs.
//
// For the dependency and secret scanners it is the finding's ID: a
// fingerprint of what the problem is (rule, file, package and version, or
// the secret's hash), never of where it is, so it survives line moves.
//
// A container finding's ID also holds the image reference and the layer's
// diff id, to tell images and layers apart within one run; across runs both
// change with every build (app:main vs app:pr-42, a rebuilt layer), so its
// identity is what the finding says of the problem instead: kind, rule,
// path in the image, package and version, the image configuration entry
// (in a misconfiguration's title), and for a secret its redacted prefix, length and entropy.
// Two different secrets of one rule in one image file would have to agree
// on all three to be taken for each other.
func identity(f *findings.Finding) string {
	if f.Scanner != findings.ScannerContainer {
		return f.ID
	}
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
		parts = append(parts, s.Redacted, strconv.Itoa(s.Length), strconv.FormatFloat(s.Entropy, 'g', -1, 64))
	}
	return findings.Fingerprint(parts...)
}
