# Package secgate.vex decides what the VEX statements on findings mean
# (f.vex: secgate matched them to the finding's vulnerability and package,
# the latest statement by timestamp; see docs/vex.md). The engine reads
# waived: the ids of the findings whose deny and warn results are waived,
# as a waiver's are. By default a statement that the vulnerability does not
# affect the package (not_affected) or no longer does (fixed) waives;
# affected and under_investigation change nothing. A team that weighs VEX
# differently replaces this package (--no-default-policies and its own
# secgate.vex), or denies on f.vex in a policy of its own.
#
# waived is a complete rule, built once per decision, so that a policy
# can look a finding up in it (data.secgate.vex.waived[f.id]) cheaply.
package secgate.vex

waiving_statuses := {"not_affected", "fixed"}

waived := {f.id |
	some f in input.findings
	waiving_statuses[f.vex.status]
}
