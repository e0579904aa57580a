# Package secgate.vulnerabilities decides on vulnerability findings: deny at
# or above data.secgate.config.fail_on (default "high"), warn below it.
# Findings of unknown severity are denied unless
# data.secgate.config.unknown_severity is "warn". Findings whose CVE is in
# CISA KEV are denied whatever their severity (unless deny_kev is false),
# and so are those whose EPSS score reaches min_epss, when it is set. With
# ignore_unfixed, what would be denied but has no fix only warns. With a
# baseline (--baseline), findings already in it only warn: the gate denies
# new ones.
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
	kev := object.get(f, ["vulnerability", "kev"], {})
	epss := object.get(f, ["vulnerability", "epss"], {})
	denies(f.severity, kev, epss)
	not f.baseline == "existing"
	fixed := object.get(f, ["vulnerability", "fixed_versions"], [])
	not unfixed_warns(fixed)
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		kev_note(kev), epss_note(epss),
		fix(fixed),
	])
}

warn contains {"id": f.id, "msg": msg} if {
	some f in lib.findings_by_kind.vulnerability
	kev := object.get(f, ["vulnerability", "kev"], {})
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
	some f in lib.findings_by_kind.vulnerability
	kev := object.get(f, ["vulnerability", "kev"], {})
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

# With ignore_unfixed (--ignore-unfixed), what would be denied but has no
# fixed version only warns: nothing can be upgraded yet.
warn contains {"id": f.id, "msg": msg} if {
	some f in lib.findings_by_kind.vulnerability
	kev := object.get(f, ["vulnerability", "kev"], {})
	epss := object.get(f, ["vulnerability", "epss"], {})
	denies(f.severity, kev, epss)
	not f.baseline == "existing"
	unfixed_warns(object.get(f, ["vulnerability", "fixed_versions"], []))
	msg := concat("", [
		f.rule_id, " (", f.severity, ")",
		affected(object.get(f, "package", {})),
		" (", lib.location(f.location), "): ",
		kev_note(kev), epss_note(epss),
		no_fix_yet,
	])
}

# denies holds for a finding of this severity, KEV entry and EPSS score
# ({} when it has none) that is denied: its severity is not one that only
# warns, or it is in CISA KEV (deny_kev), or its EPSS score reaches
# min_epss. Its arguments are small values, so the cached results are
# shared by findings alike.
denies(severity, _, _) if {
	not warn_severities[severity]
}

denies(_, kev, _) if {
	lib.deny_kev == true
	kev.date_added
}

denies(_, _, epss) if {
	epss_denies(epss)
}

epss_denies(epss) if {
	is_number(lib.min_epss)
	epss.score >= lib.min_epss
}

# unfixed_warns holds, with ignore_unfixed, for a finding without a fixed
# version.
unfixed_warns(fixed) if {
	lib.ignore_unfixed == true
	count(fixed) == 0
}

# kev_note names the finding's entry in CISA KEV, when it has one:
# "CVE-2021-44228 is in CISA KEV (known exploited, added 2021-12-10); ".
kev_note(kev) := concat("", [kev.cve, " is in CISA KEV (known exploited, added ", kev.date_added, "); "]) if {
	kev.date_added
} else := ""

# epss_note names the finding's EPSS score when it reaches min_epss:
# "CVE-2021-44228 has EPSS score 0.99999 (percentile 1), at or above
# min_epss 0.5; ". sprintf runs only for those findings.
epss_note(epss) := sprintf("%s has EPSS score %v (percentile %v), at or above min_epss %v; ", [epss.cve, epss.score, epss.percentile, lib.min_epss]) if {
	epss_denies(epss)
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
