package report

import (
	"fmt"
	"strings"

	"github.com/secgate/secgate/findings"
)

// Text shared by the formats: one-line descriptions of severities and
// policy results (a finding's own text is its view's, see view.go).

// severityText is the severity, with the CVSS score when there is one, and
// the CISA KEV entry: "high, CVSS 7.5", "medium, CVSS 6.9, in CISA KEV
// since 2025-01-23".
func severityText(f findings.Finding) string {
	sev := string(severityOf(f.Severity))
	if f.CVSS != nil && f.CVSS.Score > 0 {
		sev += fmt.Sprintf(", CVSS %.1f", f.CVSS.Score)
	}
	if k := kevOf(f); k != nil {
		sev += ", in CISA KEV since " + oneLine(k.DateAdded)
	}
	return sev
}

// kevOf is the finding's CISA KEV entry, nil when it has none.
func kevOf(f findings.Finding) *findings.KEV {
	if f.Vulnerability == nil {
		return nil
	}
	return f.Vulnerability.KEV
}

// severityCell is the severity as the table and Markdown show it, with a
// "KEV" marker for a finding in CISA KEV: "medium KEV".
func severityCell(f findings.Finding) string {
	if kevOf(f) != nil {
		return string(severityOf(f.Severity)) + " " + kevMarker
	}
	return string(severityOf(f.Severity))
}

// kevMarker marks a finding in CISA KEV in the table and Markdown.
const kevMarker = "KEV"

// policyLine describes a policy result in one line: "POLICY: MSG", with the
// remediation of its rule's metadata ("... Remediation: ...") and, for a
// result about a finding the report does not hold, "(finding ID)".
func policyLine(r findings.PolicyResult, withID bool) string {
	msg := oneLine(withRemediation(strings.TrimSpace(r.Msg), r.Rule))
	if msg == "" {
		msg = "(no message)"
	}
	if withID && r.ID != "" {
		msg += " (finding " + r.ID + ")"
	}
	if r.Policy != "" {
		return r.Policy + ": " + msg
	}
	return msg
}

// policyTitle names the rule behind a policy result about the whole scan:
// its METADATA id and package ("ACME-001 (acme.coverage)"), the package
// alone, or "secgate policy".
func policyTitle(r findings.PolicyResult) string {
	id, pkg := policyRuleID(r.Rule), strings.TrimSpace(r.Policy)
	switch {
	case id != "" && pkg != "":
		return id + " (" + pkg + ")"
	case id != "":
		return id
	case pkg != "":
		return pkg
	}
	return "secgate policy"
}

// findingIDOrFingerprint is the finding's ID, or for a finding without one
// a fingerprint of what it is and where.
func findingIDOrFingerprint(v *view) string {
	if v.ID != "" {
		return v.ID
	}
	return findings.Fingerprint(v.Scanner, v.rule, v.file, pkgKey(v.Package))
}

// isNew reports whether the finding is new since the baseline the scan was
// compared with.
func isNew(f findings.Finding) bool { return f.Baseline == findings.BaselineNew }

// hasBaseline reports whether the findings were compared with a baseline.
func hasBaseline(fs []findings.Finding) bool {
	for _, f := range fs {
		if f.Baseline != "" {
			return true
		}
	}
	return false
}

// plural is "1 finding" or "2 findings".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
