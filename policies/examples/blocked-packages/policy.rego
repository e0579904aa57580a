# Example: block a list of packages.
#
# The list is data, not code, so it can change without touching the policy:
# data.team.blocked_packages, a list of {ecosystem, name, version?,
# reason?} (see data.yaml next to this file). An entry without a version
# blocks every version. The ecosystem is OSV's name ("npm", "PyPI", "Go",
# "Maven", "crates.io", "Debian", ...); an entry for "Debian" also matches
# packages of a release such as "Debian:12", one for "Debian:12" only those.
#
#   secgate scan --policy policies/examples/blocked-packages \
#     --data policies/examples/blocked-packages/data.yaml .
#
# Limitation: the input lists findings, not every package the scanners saw.
# A package shows up only in the findings about it (its known
# vulnerabilities), so a blocked package with no known vulnerability is not
# seen by any policy.
#
# With the defaults: this policy only adds denials; the defaults still decide
# the same findings (a denial from either fails the gate).
#
# A malformed list is a policy-level denial, not a silently empty list: a
# typo in the data must not switch the check off.

# METADATA
# title: Blocked package
# description: The project uses a package on the team's block list (data.team.blocked_packages).
# custom:
#   id: EX-BLOCKED-PACKAGE
#   severity: high
#   remediation: Remove or replace the package; the message says why it is blocked.
package secgate.examples.blocked_packages

default blocked_packages := []

blocked_packages := data.team.blocked_packages

# by_name maps [base ecosystem, name] to the valid entries for that package.
# It is a complete rule, built once per decision: a lookup by key into a
# partial rule would re-run its body for every finding.
by_name := {[base_ecosystem(e.ecosystem), e.name]: entries |
	some e in blocked_packages
	valid_entry(e)
	entries := [x |
		some x in blocked_packages
		valid_entry(x)
		base_ecosystem(x.ecosystem) == base_ecosystem(e.ecosystem)
		x.name == e.name
	]
}

deny contains {"id": f.id, "msg": msg} if {
	some f in input.findings
	pkg := f.package
	some e in by_name[[base_ecosystem(pkg.ecosystem), pkg.name]]
	e.ecosystem in {pkg.ecosystem, base_ecosystem(pkg.ecosystem)}
	object.get(e, "version", pkg.version) == pkg.version
	msg := sprintf("%s@%s (%s) is a blocked package (%s): %s", [
		pkg.name, pkg.version, pkg.ecosystem, location(f.location),
		object.get(e, "reason", "on the team's block list"),
	])
}

deny contains {"msg": "data.team.blocked_packages must be a list"} if {
	not is_array(blocked_packages)
}

deny contains {"msg": msg} if {
	is_array(blocked_packages)
	some i, e in blocked_packages
	not valid_entry(e)
	msg := sprintf("data.team.blocked_packages[%d] %s: want ecosystem and name, optional version and reason, all strings", [i, json.marshal(e)])
}

valid_entry(e) if {
	is_object(e)
	is_string(e.ecosystem)
	is_string(e.name)
	is_string(object.get(e, "version", ""))
	is_string(object.get(e, "reason", ""))
	count(object.keys(e) - {"ecosystem", "name", "version", "reason"}) == 0
}

# base_ecosystem drops a release suffix: "Debian:12" is "Debian".
base_ecosystem(eco) := split(eco, ":")[0]

location(loc) := sprintf("%s:%d", [loc.path, loc.line]) if {
	loc.line > 0
} else := loc.path
