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
