# Package secgate.lib holds what secgate's default policies share: severity
# ranking, the settings read from data.secgate.config with their defaults,
# the findings grouped by kind, and message helpers. It defines no deny or
# warn rules of its own.
#
# Performance note: Decide evaluates every policy over the whole document in
# one query, so rules here run once per document, not once per finding.
# Lookup tables are complete rules (computed once and cached); a partial set
# looked up with a key would be re-evaluated on every lookup.
package secgate.lib

# severity_rank orders severities; unknown ranks below low.
severity_rank := {"unknown": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

fail_on_values := {"critical", "high", "medium", "low"}

unknown_severity_values := {"deny", "warn"}

# fail_on is the lowest severity that fails the gate.
default fail_on := "high"

fail_on := data.secgate.config.fail_on

# unknown_severity says what to do with findings whose severity is unknown:
# "deny" (fail closed) or "warn".
default unknown_severity := "deny"

unknown_severity := data.secgate.config.unknown_severity

# config_errors lists invalid settings. Policies deny on them so that a typo
# never switches the gate off (secgate also rejects them before evaluating).
config_errors contains msg if {
	not fail_on_values[fail_on]
	msg := sprintf("invalid data.secgate.config.fail_on %v: want critical, high, medium or low", [fail_on])
}

config_errors contains msg if {
	not unknown_severity_values[unknown_severity]
	msg := sprintf("invalid data.secgate.config.unknown_severity %v: want deny or warn", [unknown_severity])
}

# findings_by_kind groups the findings by kind. OPA indexes the inner
# comprehension on f.kind, so this is one pass over the findings.
findings_by_kind := {kind: fs |
	some kind in {"vulnerability", "secret", "misconfiguration"}
	fs := [f | some f in input.findings; f.kind == kind]
}

# location formats a finding's location as path:line, or path when the line
# is not known (0 or absent).
location(loc) := concat(":", [loc.path, format_int(loc.line, 10)]) if {
	loc.line > 0
} else := loc.path

# in_baseline ends the message of a finding that would be denied but was
# already in the baseline report (--baseline), so it only warns.
in_baseline := " (already in the baseline: only new findings fail the gate)"
