package secgate.lib_test

import data.secgate.lib

test_defaults if {
	lib.fail_on == "high"
	lib.unknown_severity == "deny"
	count(lib.config_errors) == 0
}

test_config_overrides if {
	lib.fail_on == "low" with data.secgate.config.fail_on as "low"
	lib.unknown_severity == "warn" with data.secgate.config.unknown_severity as "warn"
}

test_invalid_config if {
	errs := lib.config_errors with data.secgate.config as {"fail_on": "hgh", "unknown_severity": "ignore"}
	count(errs) == 2
}

test_findings_by_kind if {
	fs := [
		{"id": "v1", "kind": "vulnerability"},
		{"id": "s1", "kind": "secret"},
		{"id": "v2", "kind": "vulnerability"},
		{"id": "x1", "kind": "license"},
	]
	groups := lib.findings_by_kind with input as {"findings": fs}
	groups == {
		"vulnerability": [fs[0], fs[2]],
		"secret": [fs[1]],
		"misconfiguration": [],
	}
}

test_location if {
	lib.location({"path": "go.mod", "line": 5}) == "go.mod:5"
	lib.location({"path": "go.mod", "line": 10}) == "go.mod:10"
	lib.location({"path": "go.mod"}) == "go.mod"
	lib.location({"path": "go.mod", "line": 0}) == "go.mod"
}

test_exploit_defaults if {
	lib.deny_kev == true
	lib.min_epss == null
	lib.ignore_unfixed == false
	count(lib.config_errors) == 0 with data.secgate.config as {"deny_kev": false, "min_epss": 0.5, "ignore_unfixed": true}
	count(lib.config_errors) == 0 with data.secgate.config as {"min_epss": 0}
	count(lib.config_errors) == 0 with data.secgate.config as {"min_epss": 1}
}

test_invalid_exploit_config if {
	errs := lib.config_errors with data.secgate.config as {"deny_kev": "no", "ignore_unfixed": "yes", "min_epss": 2}
	count(errs) == 3
}
