package secgate.examples.image_runs_as_root_test

import data.secgate.examples.image_runs_as_root as policy

root(id, user) := {
	"id": id,
	"kind": "misconfiguration",
	"scanner": "container",
	"rule_id": "image-runs-as-root",
	"title": sprintf("Image runs as root (USER %s)", [user]),
	"severity": "medium",
	"location": {"path": "Dockerfile", "line": 7},
	"image": {"ref": "registry.example.com/app:1.4"},
}

test_root_image_denied if {
	policy.deny == {{
		"id": "r",
		"msg": "registry.example.com/app:1.4: Image runs as root (USER unset) (Dockerfile:7): add a non-root USER to the Dockerfile",
	}} with input.findings as [root("r", "unset")]
}

test_without_dockerfile if {
	# object.union merges nested objects: drop location first.
	f := object.union(object.remove(root("r", "0"), ["location"]), {"location": {"path": "image/registry.example.com_app_1.4"}})
	policy.deny == {{
		"id": "r",
		"msg": "registry.example.com/app:1.4: Image runs as root (USER 0) (image/registry.example.com_app_1.4): add a non-root USER to the Dockerfile",
	}} with input.findings as [f]
}

test_other_image_findings_ignored if {
	fs := [
		object.union(root("e", "x"), {"rule_id": "image-env-credential", "title": "Image ENV DB_PASSWORD looks like a credential", "severity": "high"}),
		object.union(root("s", "x"), {"kind": "secret", "rule_id": "image-runs-as-root"}),
	]
	count(policy.deny) == 0 with input.findings as fs
}

test_no_findings if {
	count(policy.deny) == 0 with input.findings as []
}
