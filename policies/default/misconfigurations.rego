# Package secgate.misconfigurations decides on misconfiguration findings:
# deny critical and high, warn on the rest (unknown included). With a
# baseline, findings already in it only warn.
package secgate.misconfigurations

import data.secgate.lib

deny_severities := {"critical", "high"}

# Messages read like "DS002 (high) at Dockerfile:1: Image runs as root".

deny contains {"id": f.id, "msg": msg} if {
	some f in lib.findings_by_kind.misconfiguration
	deny_severities[f.severity]
	not f.baseline == "existing"
	msg := sprintf("%s (%s) at %s: %s", [f.rule_id, f.severity, lib.location(f.location), f.title])
}

warn contains {"id": f.id, "msg": msg} if {
	some f in lib.findings_by_kind.misconfiguration
	deny_severities[f.severity]
	f.baseline == "existing"
	msg := sprintf("%s (%s) at %s: %s%s", [f.rule_id, f.severity, lib.location(f.location), f.title, lib.in_baseline])
}

warn contains {"id": f.id, "msg": msg} if {
	some f in lib.findings_by_kind.misconfiguration
	not deny_severities[f.severity]
	msg := sprintf("%s (%s) at %s: %s", [f.rule_id, f.severity, lib.location(f.location), f.title])
}
