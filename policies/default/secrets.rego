# Package secgate.secrets decides on secret findings: a high-confidence
# secret (a provider rule with a fixed format, e.g. aws-access-token) is
# denied; a low-confidence one (generic-api-key, entropy-only rules, nearly
# all false positives in test code) warns. A finding without a confidence is
# denied (fail closed). Messages name the rule and the location, never the
# secret (findings do not carry it). With a baseline, secrets already in
# it only warn.
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
