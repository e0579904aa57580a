# Package secgate.secrets denies every secret finding. Messages name the rule
# and the location, never the secret (findings do not carry it).
package secgate.secrets

import data.secgate.lib

deny contains {"id": f.id, "msg": msg} if {
	some f in lib.findings_by_kind.secret
	msg := sprintf("secret (%s) at %s: remove it from the source and rotate it", [f.rule_id, lib.location(f.location)])
}
