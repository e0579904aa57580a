# Package secgate.vulnerabilities decides on vulnerability findings: deny at
# or above data.secgate.config.fail_on (default "high"), warn below it.
# Findings of unknown severity are denied unless
# data.secgate.config.unknown_severity is "warn". Findings whose CVE is in
# CISA KEV are denied whatever their severity (unless deny_kev is false),
# and so are those whose EPSS score reaches min_epss, when it is set. With
# ignore_unfixed, what would be denied but has no fix only warns. With a
# baseline (--baseline), findings already in it only warn: the gate denies
# new ones. A Go finding whose reachability analysis found its vulnerable
# code not called (status "imported" or "required") only warns where it
# would be denied by severity, and says so; KEV and EPSS denials stand.
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

# Findings not in CISA KEV (and, with min_epss, scored below it): nearly
# every finding, so these rules use plain references and lookups, no
# function call, array literal or comprehension per finding (each costs
# allocations), and each setting that changes them is tested before the
# loop over the findings, so that a rule that does not apply costs nothing.
# Hence one set of them without min_epss and one with it.

deny contains {"id": f.id, "msg": msg} if {
	not ignore_unfixed
	not min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
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

# With ignore_unfixed (--ignore-unfixed), only what has a fixed version is
# denied...
deny contains {"id": f.id, "msg": msg} if {
	ignore_unfixed
	not min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
	f.vulnerability.fixed_versions[0]
	not warn_severities[f.severity]
	not f.baseline == "existing"
	not not_called[object.get(f, ["reachability", "status"], "unknown")]
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		fix(f.vulnerability.fixed_versions),
	])
}

# ... and what has none only warns: nothing can be upgraded yet.
warn contains {"id": f.id, "msg": msg} if {
	ignore_unfixed
	not min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
	not f.vulnerability.fixed_versions[0]
	not warn_severities[f.severity]
	not f.baseline == "existing"
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		no_fix_yet,
	])
}

warn contains {"id": f.id, "msg": msg} if {
	not min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
	warn_severities[f.severity]
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		fix(object.get(f, ["vulnerability", "fixed_versions"], [])),
	])
}

warn contains {"id": f.id, "msg": msg} if {
	not min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
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

# The same with min_epss set, for the findings scored below it.

deny contains {"id": f.id, "msg": msg} if {
	not ignore_unfixed
	min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
	object.get(f, ["vulnerability", "epss", "score"], -1) < epss_floor
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

deny contains {"id": f.id, "msg": msg} if {
	ignore_unfixed
	min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
	object.get(f, ["vulnerability", "epss", "score"], -1) < epss_floor
	f.vulnerability.fixed_versions[0]
	not warn_severities[f.severity]
	not f.baseline == "existing"
	not not_called[object.get(f, ["reachability", "status"], "unknown")]
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		fix(f.vulnerability.fixed_versions),
	])
}

warn contains {"id": f.id, "msg": msg} if {
	ignore_unfixed
	min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
	object.get(f, ["vulnerability", "epss", "score"], -1) < epss_floor
	not f.vulnerability.fixed_versions[0]
	not warn_severities[f.severity]
	not f.baseline == "existing"
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		no_fix_yet,
	])
}

warn contains {"id": f.id, "msg": msg} if {
	min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
	object.get(f, ["vulnerability", "epss", "score"], -1) < epss_floor
	warn_severities[f.severity]
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		fix(object.get(f, ["vulnerability", "fixed_versions"], [])),
	])
}

warn contains {"id": f.id, "msg": msg} if {
	min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
	object.get(f, ["vulnerability", "epss", "score"], -1) < epss_floor
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

# Findings whose vulnerable code is not called (reachability "imported" or
# "required"), where the rules above would deny them by severity: a
# warning that says why. Few findings carry the field, so one pass.
warn contains {"id": f.id, "msg": msg} if {
	some f in lib.findings_by_kind.vulnerability
	note := not_called[object.get(f, ["reachability", "status"], "unknown")]
	not f.vulnerability.kev
	object.get(f, ["vulnerability", "epss", "score"], -1) < epss_floor
	not warn_severities[f.severity]
	not f.baseline == "existing"
	fixed := object.get(f, ["vulnerability", "fixed_versions"], [])
	count(fixed) + unfixed_allowance > 0
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		fix(fixed),
		note,
	])
}

# not_called are the reachability statuses that only warn, with what the
# message adds: "called" and "unknown" are decided as without the analysis.
not_called := {
	"imported": "; warns only: the vulnerable package is imported, but no vulnerable symbol is called (govulncheck)",
	"required": "; warns only: the module is required, but no vulnerable package is imported (govulncheck)",
}

# Findings in CISA KEV: denied whatever their severity (with deny_kev), the
# message naming KEV. They are few, so these rules afford function calls.

deny contains {"id": f.id, "msg": msg} if {
	some f in in_kev
	kev := f.vulnerability.kev
	epss := object.get(f, ["vulnerability", "epss"], {})
	denies(f.severity, kev, epss)
	not f.baseline == "existing"
	fixed := object.get(f, ["vulnerability", "fixed_versions"], [])
	count(fixed) + unfixed_allowance > 0
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		kev_note(kev), epss_note(epss),
		fix(fixed),
	])
}

warn contains {"id": f.id, "msg": msg} if {
	some f in in_kev
	kev := f.vulnerability.kev
	epss := object.get(f, ["vulnerability", "epss"], {})
	not denies(f.severity, kev, epss)
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		kev_note(kev),
		fix(object.get(f, ["vulnerability", "fixed_versions"], [])),
	])
}

warn contains {"id": f.id, "msg": msg} if {
	some f in in_kev
	kev := f.vulnerability.kev
	epss := object.get(f, ["vulnerability", "epss"], {})
	denies(f.severity, kev, epss)
	f.baseline == "existing"
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		kev_note(kev), epss_note(epss),
		fix(object.get(f, ["vulnerability", "fixed_versions"], [])),
		lib.in_baseline,
	])
}

warn contains {"id": f.id, "msg": msg} if {
	some f in in_kev
	kev := f.vulnerability.kev
	epss := object.get(f, ["vulnerability", "epss"], {})
	denies(f.severity, kev, epss)
	not f.baseline == "existing"
	count(object.get(f, ["vulnerability", "fixed_versions"], [])) + unfixed_allowance == 0
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		kev_note(kev), epss_note(epss),
		no_fix_yet,
	])
}

# in_kev are the vulnerability findings in CISA KEV: one pass over the
# findings for the four rules above (a loop over all of them costs
# allocations per finding, even when it stops at its first test).
in_kev contains f if {
	some f in lib.findings_by_kind.vulnerability
	f.vulnerability.kev
}

# Findings not in KEV whose EPSS score reaches min_epss: denied whatever
# their severity, the message naming EPSS.

deny contains {"id": f.id, "msg": msg} if {
	min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
	f.vulnerability.epss.score >= epss_floor
	epss := f.vulnerability.epss
	not f.baseline == "existing"
	fixed := object.get(f, ["vulnerability", "fixed_versions"], [])
	count(fixed) + unfixed_allowance > 0
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		epss_note(epss),
		fix(fixed),
	])
}

warn contains {"id": f.id, "msg": msg} if {
	min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
	f.vulnerability.epss.score >= epss_floor
	epss := f.vulnerability.epss
	f.baseline == "existing"
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		epss_note(epss),
		fix(object.get(f, ["vulnerability", "fixed_versions"], [])),
		lib.in_baseline,
	])
}

warn contains {"id": f.id, "msg": msg} if {
	min_epss_set
	some f in lib.findings_by_kind.vulnerability
	not f.vulnerability.kev
	f.vulnerability.epss.score >= epss_floor
	epss := f.vulnerability.epss
	not f.baseline == "existing"
	count(object.get(f, ["vulnerability", "fixed_versions"], [])) + unfixed_allowance == 0
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		epss_note(epss),
		no_fix_yet,
	])
}

# min_epss_set is whether min_epss is a number; ignore_unfixed whether
# ignore_unfixed is true. Booleans, always defined, for the guards above.
min_epss_set := is_number(lib.min_epss)

ignore_unfixed := lib.ignore_unfixed == true

# epss_floor is the EPSS score from which a finding is denied: min_epss, or
# 2 (above every score) when it is unset.
epss_floor := lib.min_epss if {
	min_epss_set
} else := 2

# unfixed_allowance is 0 with ignore_unfixed, else 1: "count(fixed) +
# unfixed_allowance > 0" holds for a finding that may be denied (it has a
# fix, or unfixed findings are denied too).
unfixed_allowance := 0 if {
	ignore_unfixed
} else := 1

# denies holds for a finding of this severity, KEV entry and EPSS score
# ({} when it has none) that is denied: its severity is not one that only
# warns, or it is in CISA KEV (deny_kev), or its EPSS score reaches
# min_epss.
denies(severity, _, _) if {
	not warn_severities[severity]
}

denies(_, kev, _) if {
	lib.deny_kev == true
	kev.date_added
}

denies(_, _, epss) if {
	epss.score >= epss_floor
}

# kev_note names the finding's entry in CISA KEV, when it has one:
# "CVE-2021-44228 is in CISA KEV (known exploited, added 2021-12-10); ".
kev_note(kev) := concat("", [kev.cve, " is in CISA KEV (known exploited, added ", kev.date_added, "); "]) if {
	kev.date_added
} else := ""

# epss_note names the finding's EPSS score when it reaches min_epss:
# "CVE-2021-44228 has EPSS score 0.99999 (percentile 1), at or above
# min_epss 0.5; ".
epss_note(epss) := sprintf("%s has EPSS score %v (percentile %v), at or above min_epss %v; ", [epss.cve, epss.score, epss.percentile, lib.min_epss]) if {
	epss.score >= epss_floor
} else := ""

no_fix_yet := "no fix yet (--ignore-unfixed: a vulnerability without a fixed version only warns)"

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
