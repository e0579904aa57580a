package secgate.secrets_test

import data.secgate.secrets

secret(id) := {
	"id": id,
	"kind": "secret",
	"scanner": "secrets",
	"rule_id": "aws-access-key-id",
	"title": "AWS access key ID",
	"severity": "high",
	"location": {"path": "config/prod.env", "line": 3},
}

test_secret_denied if {
	d := secrets.deny with input as {"findings": [secret("s1")]}
	d == {{"id": "s1", "msg": "secret (aws-access-key-id) at config/prod.env:3: remove it from the source and rotate it"}}
}

test_secret_denied_whatever_severity if {
	f := object.union(secret("s2"), {"severity": "low"})
	count(secrets.deny) == 1 with input as {"findings": [f]}
}

test_other_kinds_ignored if {
	f := object.union(secret("v"), {"kind": "vulnerability"})
	count(secrets.deny) == 0 with input as {"findings": [f]}
}
