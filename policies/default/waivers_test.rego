package secgate.waivers_test

import data.secgate.waivers

finding(id, rule, path, pkg) := {
	"id": id,
	"kind": "vulnerability",
	"scanner": "deps",
	"rule_id": rule,
	"title": "t",
	"severity": "high",
	"location": {"path": path},
	"package": {"name": pkg, "version": "1.0.0", "ecosystem": "Go"},
}

findings := [
	finding("f1", "GO-2021-0113", "go.mod", "golang.org/x/text"),
	finding("f2", "GO-2021-0113", "services/api/go.mod", "golang.org/x/text"),
	finding("f3", "GHSA-xxxx", "services/api/go.mod", "golang.org/x/net"),
]

cfg(ws) := {"waivers": ws, "today": "2026-06-01"}

test_by_id if {
	w := waivers.waived with input.findings as findings with data.secgate.config as cfg([{"id": "f2", "reason": "r", "expires": "2026-12-31"}])
	w == {"f2": 0}
}

test_by_rule_path_and_package if {
	ws := [
		{"rule_id": "GO-2021-0113", "path": "services/**", "reason": "r", "expires": "2026-12-31"},
		{"rule_id": "GHSA-xxxx", "package": "golang.org/x/other", "reason": "r", "expires": "2026-12-31"},
	]
	w := waivers.waived with input.findings as findings with data.secgate.config as cfg(ws)
	w == {"f2": 0}
}

test_first_waiver_wins if {
	ws := [
		{"id": "f1", "reason": "r", "expires": "2026-12-31"},
		{"rule_id": "GO-2021-0113", "reason": "r", "expires": "2026-12-31"},
	]
	w := waivers.waived with input.findings as findings with data.secgate.config as cfg(ws)
	w == {"f1": 0, "f2": 1}
}

test_expires_inclusive if {
	w := waivers.waived with input.findings as findings with data.secgate.config as cfg([{"id": "f1", "reason": "r", "expires": "2026-06-01"}])
	w == {"f1": 0}
}

test_expired_does_not_apply_and_warns if {
	c := cfg([{"id": "f1", "reason": "r", "expires": "2026-05-31", "owner": "team-a"}])
	count(waivers.waived) == 0 with input.findings as findings with data.secgate.config as c
	msgs := {r.msg | some r in waivers.warn} with input.findings as findings with data.secgate.config as c
	msgs == {"waiver 1 (id: f1, owner: team-a) expired on 2026-05-31 and no longer applies"}
}

test_stale_warns if {
	c := cfg([{"rule_id": "CVE-0000-0000", "reason": "r", "expires": "2026-12-31"}])
	msgs := {r.msg | some r in waivers.warn} with input.findings as findings with data.secgate.config as c
	msgs == {"waiver 1 (rule_id: CVE-0000-0000) matched no finding: remove it or fix its id, rule_id, path or package"}
}

test_no_waivers if {
	count(waivers.waived) == 0 with input.findings as findings
	count(waivers.warn) == 0 with input.findings as findings
}
