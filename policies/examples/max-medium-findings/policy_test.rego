package secgate.examples.max_medium_findings_test

import data.secgate.examples.max_medium_findings as policy

finding(id, kind, severity) := {
	"id": id,
	"kind": kind,
	"scanner": "deps",
	"rule_id": "R",
	"title": "t",
	"severity": severity,
	"location": {"path": "go.mod"},
}

# mediums(n) is n medium findings of mixed kinds, and a high and a low one.
mediums(n) := array.concat(
	[finding(sprintf("m%d", [i]), kinds[i % 3], "medium") | some i in numbers.range(1, n)],
	[finding("h", "vulnerability", "high"), finding("l", "secret", "low")],
)

kinds := ["vulnerability", "secret", "misconfiguration"]

test_default_limit_is_10 if {
	count(policy.deny) == 0 with input.findings as mediums(10)
	policy.deny == {{"msg": "11 medium findings, more than the 10 allowed: fix or waive at least 1"}} with input.findings as mediums(11)
}

test_limit_from_data if {
	count(policy.deny) == 0 with input.findings as mediums(3) with data.team.max_medium_findings as 3
	policy.deny == {{"msg": "4 medium findings, more than the 3 allowed: fix or waive at least 1"}} with input.findings as mediums(4)
		with data.team.max_medium_findings as 3
}

test_zero_allows_none if {
	count(policy.deny) == 0 with input.findings as [] with data.team.max_medium_findings as 0
	count(policy.deny) == 1 with input.findings as mediums(1) with data.team.max_medium_findings as 0
}

test_other_severities_do_not_count if {
	fs := [finding(sprintf("h%d", [i]), "vulnerability", "high") | some i in numbers.range(1, 5)]
	count(policy.deny) == 0 with input.findings as fs with data.team.max_medium_findings as 0
}

test_waived_findings_do_not_count if {
	count(policy.deny) == 0 with input.findings as mediums(4)
		with data.team.max_medium_findings as 3
		with data.secgate.waivers.waived as {"m2": 0}
	count(policy.deny) == 1 with input.findings as mediums(4)
		with data.team.max_medium_findings as 3
		with data.secgate.waivers.waived as {"h": 0}
}

test_vex_waived_findings_do_not_count if {
	count(policy.deny) == 0 with input.findings as mediums(4)
		with data.team.max_medium_findings as 3
		with data.secgate.vex.waived as {"m3"}
	count(policy.deny) == 1 with input.findings as mediums(4)
		with data.team.max_medium_findings as 3
		with data.secgate.vex.waived as {"h"}
}

test_invalid_limit_denies if {
	every limit in ["5", -1, 2.5, null] {
		d := policy.deny with input.findings as [] with data.team.max_medium_findings as limit
		d == {{"msg": sprintf("data.team.max_medium_findings %v: want a whole number, 0 or more", [limit])}}
	}
}

test_no_results_about_findings if {
	d := policy.deny with input.findings as mediums(20)
	count(d) == 1
	every r in d {
		not r.id
	}
}
