package secgate.misconfigurations_test

import data.secgate.misconfigurations

misconf(id, severity) := {
	"id": id,
	"kind": "misconfiguration",
	"scanner": "container",
	"rule_id": "DS002",
	"title": "Image runs as root",
	"severity": severity,
	"location": {"path": "Dockerfile", "line": 1},
}

ids(results) := {r.id | some r in results}

all_severities := [
	misconf("c", "critical"),
	misconf("h", "high"),
	misconf("m", "medium"),
	misconf("l", "low"),
	misconf("u", "unknown"),
]

test_high_and_critical_denied if {
	d := misconfigurations.deny with input as {"findings": all_severities}
	w := misconfigurations.warn with input as {"findings": all_severities}
	ids(d) == {"c", "h"}
	ids(w) == {"m", "l", "u"}
}

test_fail_on_does_not_apply if {
	d := misconfigurations.deny with input as {"findings": all_severities}
		with data.secgate.config.fail_on as "low"
	ids(d) == {"c", "h"}
}

test_message if {
	w := misconfigurations.warn with input as {"findings": [misconf("m", "medium")]}
	w == {{"id": "m", "msg": "DS002 (medium) at Dockerfile:1: Image runs as root"}}
}

test_baseline_existing_only_warns if {
	f := {"id": "m", "kind": "misconfiguration", "scanner": "container", "rule_id": "image-env-secret", "title": "t", "severity": "critical", "location": {"path": "image/x"}, "baseline": "existing"}
	count(misconfigurations.deny) == 0 with input as {"findings": [f]}
	count(misconfigurations.warn) == 1 with input as {"findings": [f]}
}
