package secgate.examples.blocked_packages_test

import data.secgate.examples.blocked_packages as policy

finding(id, ecosystem, name, version) := {
	"id": id,
	"kind": "vulnerability",
	"scanner": "deps",
	"rule_id": "GHSA-0000-0000-0000",
	"title": "t",
	"severity": "medium",
	"location": {"path": "package-lock.json", "line": 12},
	"package": {"name": name, "version": version, "ecosystem": ecosystem},
	"vulnerability": {"id": "GHSA-0000-0000-0000", "aliases": [], "fixed_versions": [], "references": []},
}

blocked := [
	{"ecosystem": "npm", "name": "event-stream", "version": "3.3.6", "reason": "compromised release"},
	{"ecosystem": "PyPI", "name": "pycrypto"},
	{"ecosystem": "Debian", "name": "telnetd"},
	{"ecosystem": "Alpine:v3.18", "name": "busybox"},
]

findings := [
	finding("es-bad", "npm", "event-stream", "3.3.6"),
	finding("es-ok", "npm", "event-stream", "4.0.1"),
	finding("pyc", "PyPI", "pycrypto", "2.6.1"),
	finding("pyc-npm", "npm", "pycrypto", "2.6.1"),
	finding("tel", "Debian:12", "telnetd", "0.17-44"),
	finding("bb-318", "Alpine:v3.18", "busybox", "1.36.1-r2"),
	finding("bb-320", "Alpine:v3.20", "busybox", "1.36.1-r29"),
	finding("other", "Go", "golang.org/x/text", "0.3.5"),
]

ids(results) := {r.id | some r in results}

test_blocked_by_name_version_and_ecosystem if {
	d := policy.deny with input.findings as findings with data.team.blocked_packages as blocked
	ids(d) == {"es-bad", "pyc", "tel", "bb-318"}
}

test_messages if {
	d := policy.deny with input.findings as [findings[0], findings[2]] with data.team.blocked_packages as blocked
	d == {
		{"id": "es-bad", "msg": "event-stream@3.3.6 (npm) is a blocked package (package-lock.json:12): compromised release"},
		{"id": "pyc", "msg": "pycrypto@2.6.1 (PyPI) is a blocked package (package-lock.json:12): on the team's block list"},
	}
}

test_message_without_line if {
	# object.union merges nested objects: drop location first.
	f := object.union(object.remove(findings[2], ["location"]), {"location": {"path": "requirements.txt"}})
	d := policy.deny with input.findings as [f] with data.team.blocked_packages as blocked
	d == {{"id": "pyc", "msg": "pycrypto@2.6.1 (PyPI) is a blocked package (requirements.txt): on the team's block list"}}
}

test_findings_without_package_ignored if {
	s := object.remove(finding("s", "npm", "event-stream", "3.3.6"), ["package", "vulnerability"])
	secret := object.union(s, {"kind": "secret", "scanner": "secrets", "rule_id": "aws-access-token"})
	count(policy.deny) == 0 with input.findings as [secret] with data.team.blocked_packages as blocked
}

test_no_list_blocks_nothing if {
	count(policy.deny) == 0 with input.findings as findings
	count(policy.deny) == 0 with input.findings as findings with data.team.blocked_packages as []
}

test_malformed_list_denies if {
	d := policy.deny with input.findings as findings with data.team.blocked_packages as {"ecosystem": "npm", "name": "event-stream"}
	d == {{"msg": "data.team.blocked_packages must be a list"}}
}

test_malformed_entries_deny if {
	bad := [
		{"ecosystem": "npm", "nmae": "left-pad"},
		{"ecosystem": "PyPI", "name": "pycrypto", "version": 2.6},
		"event-stream",
		{"ecosystem": "npm", "name": "event-stream", "version": "3.3.6"},
	]
	d := policy.deny with input.findings as findings with data.team.blocked_packages as bad
	{r.msg | some r in d; not r.id} == {
		`data.team.blocked_packages[0] {"ecosystem":"npm","nmae":"left-pad"}: want ecosystem and name, optional version and reason, all strings`,
		`data.team.blocked_packages[1] {"ecosystem":"PyPI","name":"pycrypto","version":2.6}: want ecosystem and name, optional version and reason, all strings`,
		`data.team.blocked_packages[2] "event-stream": want ecosystem and name, optional version and reason, all strings`,
	}

	# The valid entry still applies.
	ids(d) == {"es-bad"}
}
