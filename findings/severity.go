package findings

import (
	"fmt"
	"strings"
)

// Severity is a finding's severity, from "unknown" to "critical".
type Severity string

// The severities, lowest first after unknown.
const (
	SeverityUnknown  Severity = "unknown"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists every severity from the highest to the lowest, unknown last.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityUnknown}

// Rank orders severities: unknown 0, low 1, ..., critical 4.
func (s Severity) Rank() int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 2
	case SeverityHigh:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// ParseSeverity reads a severity name, case-insensitively. It accepts the
// names used by advisories too: "moderate" is medium, "important" is high.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return SeverityCritical, nil
	case "high", "important":
		return SeverityHigh, nil
	case "medium", "moderate":
		return SeverityMedium, nil
	case "low", "negligible", "minor":
		return SeverityLow, nil
	case "unknown":
		return SeverityUnknown, nil
	}
	return SeverityUnknown, fmt.Errorf("unknown severity %q (want critical, high, medium, low or unknown)", s)
}

// SeverityFromScore maps a CVSS base score to a severity, with the CVSS v3
// and v4 qualitative bands: 9.0+ critical, 7.0+ high, 4.0+ medium, else low.
func SeverityFromScore(score float64) Severity {
	switch {
	case score >= 9.0:
		return SeverityCritical
	case score >= 7.0:
		return SeverityHigh
	case score >= 4.0:
		return SeverityMedium
	}
	return SeverityLow
}
