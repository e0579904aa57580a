package secgate.vulnerabilities_test

import data.secgate.vulnerabilities

vuln(id, severity) := {
	"id": id,
	"kind": "vulnerability",
	"scanner": "deps",
	"rule_id": "GO-2021-0113",
	"title": "Out-of-bounds read in golang.org/x/text/language",
	"severity": severity,
	"location": {"path": "go.mod", "line": 5},
	"package": {"name": "golang.org/x/text", "version": "0.3.5", "ecosystem": "Go"},
	"vulnerability": {
		"id": "GO-2021-0113",
		"aliases": ["CVE-2021-38561"],
		"fixed_versions": ["0.3.7"],
		"references": [],
	},
}

all_severities := [
	vuln("c", "critical"),
	vuln("h", "high"),
	vuln("m", "medium"),
	vuln("l", "low"),
]

ids(results) := {r.id | some r in results}

test_message if {
	d := vulnerabilities.deny with input as {"findings": [vuln("h", "high")]}
	d == {{"id": "h", "msg": "GO-2021-0113 (high) in golang.org/x/text@0.3.5 (go.mod:5): fixed in 0.3.7"}}
}

test_message_without_fix_package_or_line if {
	# object.union merges nested objects: drop them first.
	base := object.remove(vuln("x", "critical"), ["location", "package", "vulnerability"])
	f := object.union(base, {
		"location": {"path": "Dockerfile"},
		"package": {"name": "openssl", "version": "", "ecosystem": "Debian"},
		"vulnerability": {"id": "", "aliases": [], "fixed_versions": [], "references": []},
	})
	d := vulnerabilities.deny with input as {"findings": [f]}
	d == {{"id": "x", "msg": "GO-2021-0113 (critical) in openssl (Dockerfile): no fix available"}}
}

test_default_threshold_is_high if {
	d := vulnerabilities.deny with input as {"findings": all_severities}
	w := vulnerabilities.warn with input as {"findings": all_severities}
	ids(d) == {"c", "h"}
	ids(w) == {"m", "l"}
}

test_thresholds if {
	cases := {
		"critical": {"c"},
		"high": {"c", "h"},
		"medium": {"c", "h", "m"},
		"low": {"c", "h", "m", "l"},
	}
	every fail_on, want in cases {
		d := vulnerabilities.deny with input as {"findings": all_severities}
			with data.secgate.config.fail_on as fail_on
		w := vulnerabilities.warn with input as {"findings": all_severities}
			with data.secgate.config.fail_on as fail_on
		ids(d) == want
		ids(w) == {"c", "h", "m", "l"} - want
	}
}

test_unknown_denied_by_default if {
	d := vulnerabilities.deny with input as {"findings": [vuln("u", "unknown")]}
	ids(d) == {"u"}
}

test_unknown_denied_even_when_fail_on_critical if {
	d := vulnerabilities.deny with input as {"findings": [vuln("u", "unknown")]}
		with data.secgate.config.fail_on as "critical"
	ids(d) == {"u"}
}

test_unknown_warn if {
	d := vulnerabilities.deny with input as {"findings": [vuln("u", "unknown")]}
		with data.secgate.config.unknown_severity as "warn"
	w := vulnerabilities.warn with input as {"findings": [vuln("u", "unknown")]}
		with data.secgate.config.unknown_severity as "warn"
	count(d) == 0
	ids(w) == {"u"}
}

test_other_kinds_ignored if {
	f := object.union(vuln("s", "critical"), {"kind": "secret"})
	count(vulnerabilities.deny) == 0 with input as {"findings": [f]}
	count(vulnerabilities.warn) == 0 with input as {"findings": [f]}
}

test_invalid_config_denies if {
	d := vulnerabilities.deny with input as {"findings": []}
		with data.secgate.config.fail_on as "hgh"
	count(d) == 1
	some r in d
	not r.id
	contains(r.msg, "fail_on")
}

test_empty_input if {
	count(vulnerabilities.deny) == 0 with input as {"findings": []}
	count(vulnerabilities.warn) == 0 with input as {"findings": []}
}

test_baseline_existing_only_warns if {
	f := object.union(vuln("old", "critical"), {"baseline": "existing"})
	n := object.union(vuln("new", "critical"), {"baseline": "new"})
	ids(vulnerabilities.deny) == {"new"} with input as {"findings": [f, n]}
	ids(vulnerabilities.warn) == {"old"} with input as {"findings": [f, n]}
}

reached(id, status) := object.union(vuln(id, "high"), {"reachability": {"status": status, "mode": "source"}})

test_not_called_only_warns if {
	fs := [reached("i", "imported"), reached("r", "required"), reached("c", "called"), reached("u", "unknown")]
	d := vulnerabilities.deny with input as {"findings": fs}
	w := vulnerabilities.warn with input as {"findings": fs}
	ids(d) == {"c", "u"}
	ids(w) == {"i", "r"}
	w[{"id": "i", "msg": "GO-2021-0113 (high) in golang.org/x/text@0.3.5 (go.mod:5): fixed in 0.3.7; warns only: the vulnerable package is imported, but no vulnerable symbol is called (govulncheck)"}]
}

test_not_called_below_fail_on_warns_once if {
	w := vulnerabilities.warn with input as {"findings": [object.union(vuln("l", "low"), {"reachability": {"status": "imported"}})]}
	count(w) == 1
}

# A moderate jQuery advisory whose CVE is in CISA KEV (real entries: see
# testdata/exploits/README.md).
jquery := {
	"id": "jq",
	"kind": "vulnerability",
	"scanner": "deps",
	"rule_id": "GHSA-jpcq-cgw6-v4j6",
	"title": "Potential XSS vulnerability in jQuery",
	"severity": "medium",
	"location": {"path": "package-lock.json", "line": 12},
	"package": {"name": "jquery", "version": "3.4.1", "ecosystem": "npm"},
	"vulnerability": {
		"id": "GHSA-jpcq-cgw6-v4j6",
		"aliases": ["CVE-2020-11023"],
		"fixed_versions": ["3.5.0"],
		"references": [],
		"kev": {"cve": "CVE-2020-11023", "date_added": "2025-01-23", "due_date": "2025-02-13", "known_ransomware": false},
		"epss": {"cve": "CVE-2020-11023", "score": 0.84887, "percentile": 0.99705, "date": "2026-09-29"},
	},
}

jquery_kev_msg := "GHSA-jpcq-cgw6-v4j6 (medium) in jquery@3.4.1 (package-lock.json:12): CVE-2020-11023 is in CISA KEV (known exploited, added 2025-01-23); fixed in 3.5.0"

test_kev_denied_whatever_the_severity if {
	d := vulnerabilities.deny with input as {"findings": [jquery]}
	d == {{"id": "jq", "msg": jquery_kev_msg}}
	count(vulnerabilities.warn) == 0 with input as {"findings": [jquery]}

	# Above the finding's severity, and so is every fail_on.
	d2 := vulnerabilities.deny with input as {"findings": [jquery]} with data.secgate.config.fail_on as "critical"
	ids(d2) == {"jq"}
	low := object.union(jquery, {"severity": "low"})
	ids(vulnerabilities.deny) == {"jq"} with input as {"findings": [low]} with data.secgate.config.fail_on as "critical"
}

test_kev_named_in_every_message if {
	# A high finding in KEV is denied by its severity; the message names KEV.
	high := object.union(jquery, {"severity": "high"})
	d := vulnerabilities.deny with input as {"findings": [high]}
	some r in d
	contains(r.msg, "CVE-2020-11023 is in CISA KEV (known exploited, added 2025-01-23); fixed in 3.5.0")
}

test_deny_kev_false if {
	d := vulnerabilities.deny with input as {"findings": [jquery]} with data.secgate.config.deny_kev as false
	w := vulnerabilities.warn with input as {"findings": [jquery]} with data.secgate.config.deny_kev as false
	count(d) == 0
	w == {{"id": "jq", "msg": jquery_kev_msg}}
}

test_kev_existing_only_warns if {
	old := object.union(jquery, {"baseline": "existing"})
	count(vulnerabilities.deny) == 0 with input as {"findings": [old]}
	w := vulnerabilities.warn with input as {"findings": [old]}
	w == {{"id": "jq", "msg": concat("", [jquery_kev_msg, " (already in the baseline: only new findings fail the gate)"])}}
}

test_min_epss if {
	# Not in KEV here, to see the score alone decide.
	scored := object.remove(jquery, ["vulnerability"])
	f := object.union(scored, {"vulnerability": object.remove(jquery.vulnerability, ["kev"])})

	# Unset: the medium finding only warns.
	ids(vulnerabilities.warn) == {"jq"} with input as {"findings": [f]}

	# At or above the score: denied, naming EPSS.
	d := vulnerabilities.deny with input as {"findings": [f]} with data.secgate.config.min_epss as 0.84887
	d == {{"id": "jq", "msg": "GHSA-jpcq-cgw6-v4j6 (medium) in jquery@3.4.1 (package-lock.json:12): CVE-2020-11023 has EPSS score 0.84887 (percentile 0.99705), at or above min_epss 0.84887; fixed in 3.5.0"}}

	# Below it: a warning, without EPSS in its message.
	w := vulnerabilities.warn with input as {"findings": [f]} with data.secgate.config.min_epss as 0.9
	w == {{"id": "jq", "msg": "GHSA-jpcq-cgw6-v4j6 (medium) in jquery@3.4.1 (package-lock.json:12): fixed in 3.5.0"}}

	# A finding without a score is not denied by one.
	ids(vulnerabilities.warn) == {"m"} with input as {"findings": [vuln("m", "medium")]} with data.secgate.config.min_epss as 0
}

test_ignore_unfixed if {
	unfixed := object.union(vuln("u", "critical"), {"vulnerability": {"fixed_versions": []}})
	fixed := vuln("f", "critical")
	fs := [unfixed, fixed]
	ids(vulnerabilities.deny) == {"u", "f"} with input as {"findings": fs}
	d := vulnerabilities.deny with input as {"findings": fs} with data.secgate.config.ignore_unfixed as true
	w := vulnerabilities.warn with input as {"findings": fs} with data.secgate.config.ignore_unfixed as true
	ids(d) == {"f"}
	w == {{"id": "u", "msg": "GO-2021-0113 (critical) in golang.org/x/text@0.3.5 (go.mod:5): no fix yet (--ignore-unfixed: a vulnerability without a fixed version only warns)"}}

	# KEV too: nothing can be upgraded yet.
	kev := object.union(jquery, {"vulnerability": {"fixed_versions": []}})
	w2 := vulnerabilities.warn with input as {"findings": [kev]} with data.secgate.config.ignore_unfixed as true
	w2 == {{"id": "jq", "msg": "GHSA-jpcq-cgw6-v4j6 (medium) in jquery@3.4.1 (package-lock.json:12): CVE-2020-11023 is in CISA KEV (known exploited, added 2025-01-23); no fix yet (--ignore-unfixed: a vulnerability without a fixed version only warns)"}}
}

test_invalid_exploit_config_denies if {
	cases := [
		{"deny_kev": "yes"},
		{"ignore_unfixed": 1},
		{"min_epss": 1.5},
		{"min_epss": -0.1},
		{"min_epss": "0.5"},
	]
	every c in cases {
		d := vulnerabilities.deny with input as {"findings": []} with data.secgate.config as c
		count(d) == 1
	}
}
