package gate

import (
	"encoding/json"
	"fmt"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/safefile"
)

// Baseline is the set of findings of an earlier run, by identity (what
// each scanner says makes two findings the same problem, see
// scanners.Type), against which a scan marks its findings new or existing.
type Baseline map[string]bool

// LoadBaseline reads a JSON report written by secgate scan --format json.
// dir is the scanned repository, as for safefile.Read.
func LoadBaseline(dir, path string, identity func(*findings.Finding) string) (Baseline, error) {
	data, err := safefile.Read(dir, path, safefile.Baseline)
	if err != nil {
		return nil, err
	}
	return parseBaseline(path, data, identity)
}

// parseBaseline reads a baseline report's content; path names it in errors.
func parseBaseline(path string, data []byte, identity func(*findings.Finding) string) (Baseline, error) {
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
func (b Baseline) Mark(doc *findings.Document, identity func(*findings.Finding) string) {
	for i := range doc.Findings {
		f := &doc.Findings[i]
		f.Baseline = findings.BaselineNew
		if b[identity(f)] {
			f.Baseline = findings.BaselineExisting
		}
	}
}
