# Example: deny secrets, except in test fixtures.
#
# A secret whose location.path is a test file or lies under a test
# directory only warns: test fixtures are full of dummy keys. Everywhere
# else secrets are decided as the default policy does: high-confidence ones
# are denied, low-confidence ones (generic-api-key, entropy-only rules)
# warn. Secrets inside container images are denied even under a test
# directory: the image ships them.
#
# The test paths are "/"-separated globs ("*" stays within one directory,
# "**" crosses directories): data.team.secret_test_paths or, when that is
# not set, the default of fixture_globs below. A glob "**/x/**" needs a
# directory before x, so each directory is listed twice, at the root and
# below it. (A rule named test_... would be taken for a unit test.)
#
# With the defaults: this policy relaxes a default, and a relaxation only
# works without the defaults. The default secgate.secrets denies every
# high-confidence secret, test fixtures included, and a denial from any
# policy fails the gate. So run it with --no-default-policies, which drops
# every default but the waivers (vulnerabilities, misconfigurations): copy
# the ones you still want from policies/default/ (lib.rego, which they
# import, vulnerabilities.rego, misconfigurations.rego) and load them with
# --policy as well:
#
#   secgate scan --no-default-policies --policy my-defaults/ \
#     --policy policies/examples/secrets-outside-tests .
#
# (Without dropping the defaults, waivers can accept secrets in test
# fixtures instead, one rule_id and path glob each, until they expire.)

package secgate.examples.secrets_outside_tests

default fixture_globs := [
	"*_test.go", "**/*_test.go",
	"testdata/**", "**/testdata/**",
	"test/**", "**/test/**",
	"tests/**", "**/tests/**",
	"__tests__/**", "**/__tests__/**",
	"fixtures/**", "**/fixtures/**",
]

fixture_globs := data.team.secret_test_paths

# in_tests holds the ids of the secrets in test fixtures. It is a complete
# rule, computed once; the deny and warn rules look ids up in it.
in_tests := {f.id |
	some f in input.findings
	f.kind == "secret"
	not f.image
	some glob_pattern in fixture_globs
	glob.match(glob_pattern, ["/"], f.location.path)
}

# METADATA
# title: Secret in the source
# description: A high-confidence secret outside test fixtures.
# custom:
#   id: EX-SECRET
#   severity: critical
#   remediation: Remove the secret from the source (and from git history) and rotate it.
deny contains {"id": f.id, "msg": msg} if {
	some f in input.findings
	f.kind == "secret"
	not in_tests[f.id]
	object.get(f, ["secret", "confidence"], "high") != "low"
	msg := sprintf("secret (%s) at %s: remove it from the source and rotate it", [f.rule_id, location(f.location)])
}

# METADATA
# title: Secret in a test fixture or of low confidence
# description: A secret in a test file or directory, or one a generic rule found; usually a dummy value.
# custom:
#   id: EX-SECRET-TEST
#   severity: low
#   remediation: Make sure the value is not a real credential; if it is, remove and rotate it.
warn contains {"id": f.id, "msg": msg} if {
	some f in input.findings
	f.kind == "secret"
	in_tests[f.id]
	msg := sprintf("secret (%s) in test fixture %s: allowed in tests, make sure it is not a real credential", [f.rule_id, location(f.location)])
}

warn contains {"id": f.id, "msg": msg} if {
	some f in input.findings
	f.kind == "secret"
	not in_tests[f.id]
	object.get(f, ["secret", "confidence"], "high") == "low"
	msg := sprintf("secret (%s, low confidence) at %s: check it and remove it if it is real", [f.rule_id, location(f.location)])
}

location(loc) := sprintf("%s:%d", [loc.path, loc.line]) if {
	loc.line > 0
} else := loc.path
