package secgate.vex_test

import data.secgate.vex

finding(id, v) := object.union(
	{
		"id": id, "kind": "vulnerability", "scanner": "deps", "rule_id": "GO-2021-0113", "title": "t",
		"severity": "high", "location": {"path": "go.mod"},
	},
	v,
)

statement(status) := {"vex": {"status": status, "source": ".vex/app.json"}}

test_not_affected_and_fixed_waive if {
	fs := [
		finding("na", statement("not_affected")),
		finding("fx", statement("fixed")),
		finding("af", statement("affected")),
		finding("ui", statement("under_investigation")),
		finding("none", {}),
	]
	vex.waived == {"na", "fx"} with input.findings as fs
}

test_nothing_without_vex if {
	count(vex.waived) == 0 with input.findings as [finding("a", {}), finding("b", {})]
}
