# Example: fail only on vulnerabilities that have a fix.
#
# A vulnerability whose advisory names a fixed version above the installed
# one (vulnerability.fixed_versions is not empty) is denied, whatever its
# severity: the remedy is an upgrade. A vulnerability with no fix only
# warns, so the build is not blocked on something nobody can act on yet.
#
# With the defaults: every policy is evaluated and a finding that any deny
# result names is denied. The default secgate.vulnerabilities already denies
# high, critical and unknown-severity vulnerabilities, fix or no fix, so on
# top of the defaults this policy only adds "medium and low vulnerabilities
# with a fix fail too" (its warning does not undo a default deny). To fail
# *only* on fixable vulnerabilities, run without the defaults; that drops
# all of them (secrets, misconfigurations, waivers), so load the ones you
# still want:
#
#   secgate scan --policy policies/examples/fixable-vulnerabilities .
#   secgate scan --no-default-policies --policy policies/examples/fixable-vulnerabilities .
#   secgate policy test policies/examples/fixable-vulnerabilities
package secgate.examples.fixable_vulnerabilities

# Messages read like
# "GO-2021-0113 (high) in golang.org/x/text@0.3.5 (go.mod:5): upgrade to 0.3.7".

# METADATA
# title: Vulnerability with a fix
# description: A dependency has a known vulnerability and a fixed version exists.
# custom:
#   id: EX-FIXABLE-VULN
#   severity: high
#   remediation: Upgrade the package to one of the fixed versions named in the message.
deny contains {"id": f.id, "msg": msg} if {
	some f in input.findings
	f.kind == "vulnerability"
	fixed := object.get(f, ["vulnerability", "fixed_versions"], [])
	count(fixed) > 0
	msg := sprintf("%s (%s)%s (%s): upgrade to %s", [
		f.rule_id, f.severity, affected(object.get(f, "package", {})),
		location(f.location), concat(" or ", fixed),
	])
}

# METADATA
# title: Vulnerability without a fix
# description: A dependency has a known vulnerability and no fixed version exists yet.
# custom:
#   id: EX-UNFIXED-VULN
#   severity: low
#   remediation: Watch the advisory for a fix, or replace the package; waive it with a reason and an expiry date if the risk is accepted.
warn contains {"id": f.id, "msg": msg} if {
	some f in input.findings
	f.kind == "vulnerability"
	count(object.get(f, ["vulnerability", "fixed_versions"], [])) == 0
	msg := sprintf("%s (%s)%s (%s): no fix available yet", [
		f.rule_id, f.severity, affected(object.get(f, "package", {})),
		location(f.location),
	])
}

# affected is " in name@version", " in name", or "" when the finding names
# no package. It takes the package, not the whole finding: OPA caches
# function results by argument, and findings of one package share them.
affected(pkg) := sprintf(" in %s@%s", [pkg.name, pkg.version]) if {
	pkg.version != ""
} else := sprintf(" in %s", [pkg.name]) if {
	pkg.name != ""
} else := ""

# location is path:line, or the path when the line is not known.
location(loc) := sprintf("%s:%d", [loc.path, loc.line]) if {
	loc.line > 0
} else := loc.path
