# Example: at most N medium findings.
#
# More medium-severity findings (of any kind) than data.team.max_medium_findings
# (10 when not set) fail the scan. The denial is about the whole scan, so it
# has no finding id: it shows up under "Policy results about the whole scan"
# in the table and as the rule EX-MAX-MEDIUM in SARIF (from the METADATA
# below), and the findings keep their own decisions.
#
#   secgate scan --policy policies/examples/max-medium-findings \
#     --data policies/examples/max-medium-findings/data.yaml .
#
# Waived findings do not count: the policy reads the waivers package's
# data.secgate.waivers.waived (finding id -> waiver) and the VEX package's
# data.secgate.vex.waived (the ids of the findings a VEX statement waives),
# which secgate keeps loaded even with --no-default-policies. A policy-level result cannot itself be
# waived (waivers match findings); waive or fix findings to get under the
# limit.
#
# With the defaults: they warn on each medium vulnerability and
# misconfiguration; this policy adds one denial when there are too many.

# METADATA
# title: Too many medium findings
# description: The scan has more medium-severity findings than the team allows (data.team.max_medium_findings).
# custom:
#   id: EX-MAX-MEDIUM
#   severity: medium
#   remediation: Fix medium findings, or waive the accepted ones with a reason and an expiry date, until at most the limit remain.
package secgate.examples.max_medium_findings

default limit := 10

limit := data.team.max_medium_findings

# medium lists the medium findings no waiver accepts and no VEX statement
# waives. The default waived rules are complete rules (an object, a set),
# computed once: looking an id up in them is cheap. When a team replaces
# secgate.waivers or secgate.vex with a package that defines no waived, no
# finding counts as waived by it.
medium := [f.id |
	some f in input.findings
	f.severity == "medium"
	not data.secgate.waivers.waived[f.id]
	not data.secgate.vex.waived[f.id]
]

deny contains {"msg": msg} if {
	valid_limit
	count(medium) > limit
	msg := sprintf("%d medium findings, more than the %d allowed: fix or waive at least %d", [
		count(medium), limit, count(medium) - limit,
	])
}

deny contains {"msg": msg} if {
	not valid_limit
	msg := sprintf("data.team.max_medium_findings %v: want a whole number, 0 or more", [limit])
}

valid_limit if {
	is_number(limit)
	limit >= 0
	floor(limit) == limit
}
