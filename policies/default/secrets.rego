# Package secgate.secrets decides on secret findings: a high-confidence
# secret (a provider rule with a fixed format, e.g. aws-access-token) is
# denied; a low-confidence one (generic-api-key, entropy-only rules, nearly
# all false positives in test code) warns. A finding without a confidence is
# denied (fail closed). Messages name the rule and the location, never the
# secret (findings do not carry it). With a baseline, secrets already in
# it only warn. Files a scan of a directory or of history did not read
# (binary, over --max-file-size, links out of it, special files) warn: a
# secret in them would pass unseen.
package secgate.secrets

import data.secgate.lib

deny contains {"id": f.id, "msg": message(f)} if {
	some f in lib.findings_by_kind.secret
	object.get(f, ["secret", "confidence"], "high") != "low"
	not f.baseline == "existing"
}

# A secret already in the baseline (--baseline) only warns: it is still a
# leak to rotate, but not one this change made.
warn contains {"id": f.id, "msg": concat("", [message(f), lib.in_baseline])} if {
	some f in lib.findings_by_kind.secret
	object.get(f, ["secret", "confidence"], "high") != "low"
	f.baseline == "existing"
}

warn contains {"id": f.id, "msg": message(f)} if {
	some f in lib.findings_by_kind.secret
	object.get(f, ["secret", "confidence"], "high") == "low"
}

# skipped names the counts of a secrets scan's stats that are files it did
# not read, and why. (An image's layers count theirs as the container
# scan's secrets_skipped_*: binaries in an image are the norm, not news.)
skipped := {
	"skipped_binary": "binary",
	"skipped_too_large": "over --max-file-size",
	"skipped_link_outside_root": "symbolic links out of the scanned directory",
	"skipped_special": "special files",
}

warn contains {"msg": msg} if {
	some s in input.scans
	s.scanner == "secrets"
	some stat, why in skipped
	n := object.get(s, ["stats", stat], 0)
	n > 0
	msg := concat("", [
		"secrets scan of ", s.target, ": ", files(n), " not read (", why, ", stats.", stat,
		"): a secret in them would pass unseen",
	])
}

files(1) := "1 file"

files(n) := concat("", [format_int(n, 10), " files"]) if n != 1

# message reads "secret (aws-access-token, high confidence) at config.go:3:
# remove it from the source and rotate it", with " in commit 1a2b3c4" after
# the location for a finding from git history.
message(f) := concat("", [
	"secret (", f.rule_id, ", ", object.get(f, ["secret", "confidence"], "unknown"), " confidence) at ",
	lib.location(f.location), in_commit(object.get(f, ["commit", "sha"], "")),
	": remove it from the source and rotate it",
])

in_commit(sha) := concat("", [" in commit ", substring(sha, 0, 7)]) if sha != ""

else := ""
