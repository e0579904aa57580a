# Package secgate.waivers applies the waivers (data.secgate.config.waivers,
# from .secgate-waivers.yaml or --waivers) against today's date
# (data.secgate.config.today). The engine reads waived: each finding id a waiver
# accepts, mapped to the index of the first waiver that does. Expired and
# stale waivers produce warnings. Teams who want other semantics replace
# this package (--no-default-policies and their own secgate.waivers).
#
# Lookups are complete rules, built once per decision: a keyed lookup into
# a partial rule would re-run its body for every finding.
package secgate.waivers

default waivers := []

waivers := data.secgate.config.waivers

default today := "9999-12-31"

today := data.secgate.config.today

# active and expired hold waiver indexes. A waiver applies through the day
# it expires.
active contains i if {
	some i, w in waivers
	w.expires >= today
}

expired contains i if {
	some i, w in waivers
	w.expires < today
}

# covers holds when waiver w names finding f: its id, or its rule (under
# its path glob and for its package, when given).
covers(w, f) if {
	object.get(w, "id", f.id) == f.id
	object.get(w, "rule_id", f.rule_id) == f.rule_id
	glob.match(object.get(w, "path", "**"), ["/"], f.location.path)
	object.get(w, "package", package_name(f)) == package_name(f)
}

package_name(f) := object.get(f, ["package", "name"], "")

waived := {f.id: min(idx) |
	some f in input.findings
	idx := [i | some i in active; covers(waivers[i], f)]
	count(idx) > 0
}

used contains i if {
	some i in active
	some f in input.findings
	covers(waivers[i], f)
}

warn contains {"msg": sprintf("waiver %d (%s) expired on %s and no longer applies", [i + 1, label(waivers[i]), waivers[i].expires])} if {
	some i in expired
}

warn contains {"msg": sprintf("waiver %d (%s) matched no finding: remove it or fix its id, rule_id, path or package", [i + 1, label(waivers[i])])} if {
	some i in active
	not used[i]
}

label(w) := concat(", ", [s |
	some k in ["id", "rule_id", "path", "package", "owner"]
	v := object.get(w, k, "")
	v != ""
	s := concat(": ", [k, v])
])
