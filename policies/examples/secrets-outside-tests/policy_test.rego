package secgate.examples.secrets_outside_tests_test

import data.secgate.examples.secrets_outside_tests as policy

secret(id, path, confidence) := {
	"id": id,
	"kind": "secret",
	"scanner": "secrets",
	"rule_id": "aws-access-token",
	"title": "AWS access key ID",
	"severity": "critical",
	"location": {"path": path, "line": 3},
	"secret": {"redacted": "AKIA…", "confidence": confidence, "fingerprint": "0123456789abcdef0123456789abcdef"},
}

ids(results) := {r.id | some r in results}

test_paths_in_tests if {
	fs := [
		secret("go", "internal/auth/token_test.go", "high"),
		secret("go-root", "main_test.go", "high"),
		secret("testdata", "testdata/creds.json", "high"),
		secret("nested", "services/api/testdata/keys/id_rsa", "high"),
		secret("tests", "tests/conftest.py", "high"),
		secret("jest", "web/src/__tests__/api.spec.js", "high"),
		secret("fixtures", "spec/fixtures/config.yml", "high"),
	]
	count(policy.deny) == 0 with input.findings as fs
	ids(policy.warn) == {r.id | some r in fs} with input.findings as fs
}

test_paths_outside_tests if {
	fs := [
		secret("prod", "config/prod.env", "high"),
		secret("go", "internal/auth/token.go", "high"),
		secret("name", "attestation/key.pem", "high"),
		secret("gotest", "token_test.go.bak", "high"),
		secret("prefix", "mytests/key.pem", "high"),
	]
	ids(policy.deny) == {r.id | some r in fs} with input.findings as fs
	count(policy.warn) == 0 with input.findings as fs
}

test_messages if {
	fs := [secret("a", "config/prod.env", "high"), secret("b", "testdata/creds.json", "high")]
	policy.deny == {{"id": "a", "msg": "secret (aws-access-token) at config/prod.env:3: remove it from the source and rotate it"}} with input.findings as fs
	policy.warn == {{"id": "b", "msg": "secret (aws-access-token) in test fixture testdata/creds.json:3: allowed in tests, make sure it is not a real credential"}} with input.findings as fs
}

test_message_without_line if {
	# object.union merges nested objects: drop location first.
	f := object.union(object.remove(secret("a", "", "high"), ["location"]), {"location": {"path": "config/prod.env"}})
	policy.deny == {{"id": "a", "msg": "secret (aws-access-token) at config/prod.env: remove it from the source and rotate it"}} with input.findings as [f]
}

test_low_confidence_warns if {
	f := object.union(secret("g", "src/app.py", "low"), {"rule_id": "generic-api-key"})
	count(policy.deny) == 0 with input.findings as [f]
	policy.warn == {{"id": "g", "msg": "secret (generic-api-key, low confidence) at src/app.py:3: check it and remove it if it is real"}} with input.findings as [f]
}

test_missing_confidence_denied if {
	f := object.remove(secret("x", "config/prod.env", "high"), ["secret"])
	ids(policy.deny) == {"x"} with input.findings as [f]
}

test_image_secrets_denied_even_in_test_dirs if {
	f := object.union(secret("i", "image/app_1.0/app/testdata/key.pem", "high"), {"scanner": "container", "image": {"ref": "app:1.0", "path": "/app/testdata/key.pem"}})
	ids(policy.deny) == {"i"} with input.findings as [f]
}

test_paths_from_data if {
	fs := [secret("a", "testdata/creds.json", "high"), secret("b", "qa/seed.sql", "high")]
	ids(policy.deny) == {"a"} with input.findings as fs with data.team.secret_test_paths as ["qa/**"]
	ids(policy.warn) == {"b"} with input.findings as fs with data.team.secret_test_paths as ["qa/**"]
}

test_other_kinds_ignored if {
	f := object.union(secret("v", "testdata/x", "high"), {"kind": "vulnerability"})
	count(policy.deny) == 0 with input.findings as [f]
	count(policy.warn) == 0 with input.findings as [f]
}
