# Package secgate.vulnerabilities decides on vulnerability findings: deny at
# or above data.secgate.config.fail_on (default "high"), warn below it.
# Findings of unknown severity are denied unless
# data.secgate.config.unknown_severity is "warn". With a baseline
# (--baseline), findings already in it only warn: the gate denies new ones.
# A Go finding whose reachability analysis found its vulnerable code not
# called (status "imported" or "required") only warns, and says so.
package secgate.vulnerabilities

import data.secgate.lib

deny contains {"msg": msg} if {
	some msg in lib.config_errors
}

# The message is written out in both rules rather than in a function taking
# the finding: OPA caches function results by argument, and a cache entry per
# finding costs time and memory on large documents. It reads like
# "GO-2021-0113 (high) in golang.org/x/text@0.3.5 (go.mod:5): fixed in 0.3.7".
# Messages are built with concat, not sprintf: at 100,000 findings sprintf's
# formatting was a fifth of the whole decision.
# (the rule id of a vulnerability finding is its advisory id).

deny contains {"id": f.id, "msg": msg} if {
	some f in lib.findings_by_kind.vulnerability
	not warn_severities[f.severity]
	not f.baseline == "existing"
	not not_called[object.get(f, ["reachability", "status"], "unknown")]
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		fix(object.get(f, ["vulnerability", "fixed_versions"], [])),
	])
}

warn contains {"id": f.id, "msg": msg} if {
	some f in lib.findings_by_kind.vulnerability
	not warn_severities[f.severity]
	not f.baseline == "existing"
	status := object.get(f, ["reachability", "status"], "unknown")
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		fix(object.get(f, ["vulnerability", "fixed_versions"], [])),
		not_called[status],
	])
}

warn contains {"id": f.id, "msg": msg} if {
	some f in lib.findings_by_kind.vulnerability
	warn_severities[f.severity]
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		fix(object.get(f, ["vulnerability", "fixed_versions"], [])),
	])
}

warn contains {"id": f.id, "msg": msg} if {
	some f in lib.findings_by_kind.vulnerability
	not warn_severities[f.severity]
	f.baseline == "existing"
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		fix(object.get(f, ["vulnerability", "fixed_versions"], [])),
		lib.in_baseline,
	])
}

# warn_severities are the severities that only warn. Every other severity,
# including one this policy does not know, is denied.
warn_severities := known | unknown if {
	known := {severity |
		some severity, rank in lib.severity_rank
		rank > 0
		rank < lib.severity_rank[lib.fail_on]
	}
	unknown := {"unknown" | lib.unknown_severity == "warn"}
}

# not_called are the reachability statuses that only warn, with what the
# message adds: "called" and "unknown" are decided by severity as without
# the analysis.
not_called := {
	"imported": "; warns only: the vulnerable package is imported, but no vulnerable symbol is called (govulncheck)",
	"required": "; warns only: the module is required, but no vulnerable package is imported (govulncheck)",
}

# affected is " in name@version", " in name" or "" when the finding names no
# package. Functions of small values like this one are cheap: their cached
# results are shared by the findings of the same package.
affected(pkg) := concat("", [" in ", pkg.name, "@", pkg.version]) if {
	pkg.version != ""
} else := concat("", [" in ", pkg.name]) if {
	pkg.name != ""
} else := ""

# fix says which versions fix the vulnerability.
fix(versions) := concat("", ["fixed in ", concat(", ", versions)]) if {
	count(versions) > 0
} else := "no fix available"
