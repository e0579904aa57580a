package report

import (
	"cmp"
	"fmt"
	pathpkg "path"
	"strings"

	"github.com/secgate/secgate/findings"
)

// Text shared by the CI formats (junit, gitlab, markdown and the GitHub
// annotations): one-line descriptions of findings and policy results.

// findingSummary describes a finding in one or two sentences, without its
// location or decision, e.g.
// "golang.org/x/text@0.3.5 is affected by GO-2021-0113: Out-of-bounds read in golang.org/x/text/language. Fixed in 0.3.7."
// or "AWS access key ID (aws-access-key-id)." Never a secret value.
func findingSummary(f findings.Finding) string {
	id := ruleID(f)
	title := oneLine(strings.TrimSpace(f.Title))
	if v := f.Vulnerability; v != nil && strings.TrimSpace(v.Summary) != "" {
		title = oneLine(strings.TrimSpace(v.Summary))
	}
	switch {
	case f.Package != nil && (f.Vulnerability != nil || f.Kind == findings.KindVulnerability):
		s := fmt.Sprintf("%s is affected by %s", packageLabel(f.Package), id)
		if title != "" && title != id {
			s += ": " + strings.TrimSuffix(title, ".")
		}
		return s + ". " + fixText(f)
	case f.Package != nil:
		return fmt.Sprintf("%s: %s (%s).", packageLabel(f.Package), strings.TrimSuffix(cmp.Or(title, id), "."), id)
	case title != "" && title != id:
		return fmt.Sprintf("%s (%s).", strings.TrimSuffix(title, "."), id)
	}
	return id + "."
}

// fixText is "Fixed in 0.3.7." or "No fix is available." for vulnerability
// findings, "" for the others.
func fixText(f findings.Finding) string {
	if f.Vulnerability == nil && f.Kind != findings.KindVulnerability {
		return ""
	}
	if fixed := fixedVersions(f); len(fixed) > 0 {
		return "Fixed in " + strings.Join(fixed, ", ") + "."
	}
	return "No fix is available."
}

// severityText is the severity, with the CVSS score when there is one:
// "high, CVSS 7.5".
func severityText(f findings.Finding) string {
	sev := string(severityOf(f.Severity))
	if f.CVSS != nil && f.CVSS.Score > 0 {
		sev += fmt.Sprintf(", CVSS %.1f", f.CVSS.Score)
	}
	return sev
}

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

// withPathPrefix puts Options.PathPrefix in front of a finding path, as for
// SARIF locations: finding paths are relative to the scanned root, CI
// systems resolve them against the repository root.
func withPathPrefix(prefix, path string) string {
	if prefix == "" || path == "" || strings.HasPrefix(path, "/") {
		return path
	}
	return pathpkg.Join(prefix, path)
}

// findingIDOrFingerprint is the finding's ID, or for a finding without one
// the fingerprint SARIF uses for it.
func findingIDOrFingerprint(f findings.Finding) string {
	if f.ID != "" {
		return f.ID
	}
	return findings.Fingerprint(f.Scanner, ruleID(f), f.Location.Path, pkgKey(f.Package))
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
