package secgate.examples.fixable_vulnerabilities_test

import data.secgate.examples.fixable_vulnerabilities as policy

vuln(id, severity, fixed) := {
	"id": id,
	"kind": "vulnerability",
	"scanner": "deps",
	"rule_id": "GO-2021-0113",
	"title": "Out-of-bounds read in golang.org/x/text/language",
	"severity": severity,
	"location": {"path": "go.mod", "line": 5},
	"package": {"name": "golang.org/x/text", "version": "0.3.5", "ecosystem": "Go"},
	"vulnerability": {"id": "GO-2021-0113", "aliases": [], "fixed_versions": fixed, "references": []},
}

ids(results) := {r.id | some r in results}

test_fixable_denied_whatever_the_severity if {
	fs := [vuln("c", "critical", ["0.3.7"]), vuln("l", "low", ["0.3.7"]), vuln("u", "unknown", ["0.3.7"])]
	ids(policy.deny) == {"c", "l", "u"} with input.findings as fs
	count(policy.warn) == 0 with input.findings as fs
}

test_unfixed_warns_whatever_the_severity if {
	fs := [vuln("c", "critical", []), vuln("m", "medium", [])]
	count(policy.deny) == 0 with input.findings as fs
	ids(policy.warn) == {"c", "m"} with input.findings as fs
}

test_messages if {
	fs := [vuln("a", "high", ["0.3.7", "0.4.0"]), vuln("b", "medium", [])]
	policy.deny == {{"id": "a", "msg": "GO-2021-0113 (high) in golang.org/x/text@0.3.5 (go.mod:5): upgrade to 0.3.7 or 0.4.0"}} with input.findings as fs
	policy.warn == {{"id": "b", "msg": "GO-2021-0113 (medium) in golang.org/x/text@0.3.5 (go.mod:5): no fix available yet"}} with input.findings as fs
}

test_message_without_line_or_version if {
	# object.union merges nested objects: drop them first.
	f := object.union(object.remove(vuln("a", "high", ["1.1"]), ["location", "package"]), {
		"location": {"path": "image/alpine_3.18/lib/apk/db/installed"},
		"package": {"name": "openssl", "version": "", "ecosystem": "Alpine:v3.18"},
	})
	policy.deny == {{"id": "a", "msg": "GO-2021-0113 (high) in openssl (image/alpine_3.18/lib/apk/db/installed): upgrade to 1.1"}} with input.findings as [f]
}

test_message_without_package if {
	f := object.remove(vuln("a", "high", ["1.1"]), ["package"])
	policy.deny == {{"id": "a", "msg": "GO-2021-0113 (high) (go.mod:5): upgrade to 1.1"}} with input.findings as [f]
}

test_other_kinds_ignored if {
	fs := [
		object.union(vuln("s", "critical", ["1"]), {"kind": "secret"}),
		object.union(vuln("m", "critical", []), {"kind": "misconfiguration"}),
	]
	count(policy.deny) == 0 with input.findings as fs
	count(policy.warn) == 0 with input.findings as fs
}
