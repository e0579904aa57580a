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

# deny_kev denies every vulnerability finding whose CVE is in CISA's Known
# Exploited Vulnerabilities catalog (vulnerability.kev), whatever its
# severity and fail_on.
default deny_kev := true

deny_kev := data.secgate.config.deny_kev

# min_epss, when set to a number from 0 to 1, denies every vulnerability
# finding whose EPSS score (vulnerability.epss.score) is at least min_epss,
# whatever its severity. null (the default) denies none by its score.
default min_epss := null

min_epss := data.secgate.config.min_epss

# ignore_unfixed makes a vulnerability finding without a fixed version only
# warn ("no fix yet"), whatever else would deny it (--ignore-unfixed).
default ignore_unfixed := false

ignore_unfixed := data.secgate.config.ignore_unfixed

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

config_errors contains msg if {
	not is_boolean(deny_kev)
	msg := sprintf("invalid data.secgate.config.deny_kev %v: want true or false", [deny_kev])
}

config_errors contains msg if {
	not is_boolean(ignore_unfixed)
	msg := sprintf("invalid data.secgate.config.ignore_unfixed %v: want true or false", [ignore_unfixed])
}

config_errors contains msg if {
	min_epss != null
	not valid_min_epss
	msg := sprintf("invalid data.secgate.config.min_epss %v: want a number from 0 to 1", [min_epss])
}

valid_min_epss if {
	is_number(min_epss)
	min_epss >= 0
	min_epss <= 1
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
