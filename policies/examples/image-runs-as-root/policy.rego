# Example: deny container images that run as root.
#
# The container scanner (secgate scan --image ...) reports an image whose
# configuration has no USER, USER root or USER 0 as a misconfiguration
# finding with rule_id image-runs-as-root and severity medium, which the
# default secgate.misconfigurations policy only warns on. This policy denies
# it. With --dockerfile the finding points at the Dockerfile's last USER
# line (or FROM); otherwise its path is image/<ref>.
#
#   secgate scan --image docker-archive:app.tar --dockerfile Dockerfile \
#     --policy policies/examples/image-runs-as-root
#
# With the defaults: this policy tightens a default (its deny wins over the
# default's warning), so it needs no --no-default-policies. To let one image
# run as root for a while, waive it: rule_id image-runs-as-root with the
# image's path (image/<ref> or the Dockerfile), a reason and an expiry date.

# METADATA
# title: Image runs as root
# description: The container image's configuration runs its process as root (no USER, USER root or USER 0).
# custom:
#   id: EX-IMAGE-ROOT
#   severity: high
#   remediation: Add a USER instruction with a non-root user (for example USER 65532:65532) after the last step that needs root.
package secgate.examples.image_runs_as_root

deny contains {"id": f.id, "msg": msg} if {
	some f in input.findings
	f.kind == "misconfiguration"
	f.rule_id == "image-runs-as-root"
	msg := sprintf("%s: %s (%s): add a non-root USER to the Dockerfile", [
		object.get(f, ["image", "ref"], "image"), f.title, location(f.location),
	])
}

location(loc) := sprintf("%s:%d", [loc.path, loc.line]) if {
	loc.line > 0
} else := loc.path
