package glob

// Glob is the matcher interface of gobwas/glob v0.2.x.
//
// secgate patch: OPA v1.22 needs gobwas/glob v1.0.0 (*Pattern, QuoteMeta),
// while osv-scanner v2.5.0 and osv-scalibr still name the v0.2.x interface
// type glob.Glob. Both share one module path, so the build can hold only one
// version; this alias-free interface lets the v1.0.0 code serve both.
// *Pattern satisfies it.
type Glob interface {
	Match(string) bool
}

var _ Glob = (*Pattern)(nil)
