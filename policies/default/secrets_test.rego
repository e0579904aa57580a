package secgate.secrets_test

import data.secgate.secrets

secret(id, confidence) := {
	"id": id,
	"kind": "secret",
	"scanner": "secrets",
	"rule_id": "aws-access-token",
	"title": "AWS access key ID",
	"severity": "critical",
	"location": {"path": "config/prod.env", "line": 3, "column": 7},
	"secret": {"redacted": "AKIA…", "confidence": confidence, "fingerprint": "0123456789abcdef0123456789abcdef"},
}

test_high_confidence_denied if {
	d := secrets.deny with input as {"findings": [secret("s1", "high")]}
	d == {{"id": "s1", "msg": "secret (aws-access-token, high confidence) at config/prod.env:3: remove it from the source and rotate it"}}
	count(secrets.warn) == 0 with input as {"findings": [secret("s1", "high")]}
}

test_low_confidence_warns if {
	f := object.union(secret("s2", "low"), {"rule_id": "generic-api-key"})
	w := secrets.warn with input as {"findings": [f]}
	w == {{"id": "s2", "msg": "secret (generic-api-key, low confidence) at config/prod.env:3: remove it from the source and rotate it"}}
	count(secrets.deny) == 0 with input as {"findings": [f]}
}

test_missing_confidence_fails_closed if {
	f := object.remove(secret("s3", "high"), ["secret"])
	count(secrets.deny) == 1 with input as {"findings": [f]}
}

test_history_finding_names_commit if {
	f := object.union(secret("s4", "high"), {"commit": {"sha": "0123456789abcdef0123456789abcdef01234567", "author_email": "dev@example.com"}})
	d := secrets.deny with input as {"findings": [f]}
	d == {{"id": "s4", "msg": "secret (aws-access-token, high confidence) at config/prod.env:3 in commit 0123456: remove it from the source and rotate it"}}
}

test_whatever_severity if {
	f := object.union(secret("s5", "high"), {"severity": "low"})
	count(secrets.deny) == 1 with input as {"findings": [f]}
}

test_other_kinds_ignored if {
	f := object.union(secret("v", "high"), {"kind": "vulnerability"})
	count(secrets.deny) == 0 with input as {"findings": [f]}
}

test_baseline_existing_only_warns if {
	f := object.union(secret("old", "high"), {"baseline": "existing"})
	count(secrets.deny) == 0 with input as {"findings": [f]}
	count(secrets.warn) == 1 with input as {"findings": [f]}
}

test_skipped_files_warn if {
	scan := {"scanner": "secrets", "target": ".", "stats": {"files": 10, "skipped_binary": 2, "skipped_too_large": 1, "skipped_link": 3}}
	w := secrets.warn with input as {"scans": [scan], "findings": []}
	w == {
		{"msg": "secrets scan of .: 2 files not read (binary, stats.skipped_binary): a secret in them would pass unseen"},
		{"msg": "secrets scan of .: 1 file not read (over --max-file-size, stats.skipped_too_large): a secret in them would pass unseen"},
	}
	count(secrets.deny) == 0 with input as {"scans": [scan], "findings": []}
}

test_image_layers_skipped_do_not_warn if {
	scan := {"scanner": "container", "target": "app:1", "stats": {"secrets_skipped_binary": 40}}
	count(secrets.warn) == 0 with input as {"scans": [scan], "findings": []}
}
