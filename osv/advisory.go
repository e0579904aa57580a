package osv

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/semantic"
	"github.com/ossf/osv-schema/bindings/go/osvschema"
	cvss20 "github.com/pandatix/go-cvss/20"
	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/secgate/secgate/findings"
)

// Findings turns the advisories that affect one package into findings of
// kind vulnerability, one per group of advisories that alias each other
// (e.g. GO-2021-0113, GHSA-ppp9-7jff-5vj2 and CVE-2021-38561 are one
// finding). Within a group:
//   - the finding's advisory is the group's representative (see
//     representative); every other id and alias goes to Aliases;
//   - the severity is the highest of the group: each advisory's CVSS v3 or
//     v4 base score (v2 only when it has neither), else its ecosystem
//     severity (GitHub's database_specific.severity, an ecosystem_specific
//     severity), else unknown;
//   - the fixed versions are the "fixed" events of every range naming the
//     package, keeping those above the installed version when the ecosystem
//     can compare them.
//
// scanner is the finding's scanner ("deps", "container"); loc is where the
// package is declared, its path relative to the scanned target, which the
// finding's ID holds.
func Findings(scanner string, p *extractor.Package, loc findings.Location, vulns []*osvschema.Vulnerability) []findings.Finding {
	var out []findings.Finding
	for _, g := range groups(vulns) {
		out = append(out, finding(scanner, p, loc, g))
	}
	return out
}

func finding(scanner string, p *extractor.Package, loc findings.Location, group []*osvschema.Vulnerability) findings.Finding {
	slices.SortFunc(group, func(a, b *osvschema.Vulnerability) int { return compareIDs(a.GetId(), b.GetId()) })
	rep := group[0]

	var aliases, refs []string
	for _, v := range group {
		aliases = append(aliases, v.GetId())
		aliases = append(aliases, v.GetAliases()...)
		for _, r := range v.GetReferences() {
			if r.GetUrl() != "" {
				refs = append(refs, r.GetUrl())
			}
		}
	}
	aliases = slices.DeleteFunc(sortedSet(aliases), func(id string) bool { return id == rep.GetId() })

	sev, score := findings.SeverityUnknown, (*findings.CVSS)(nil)
	for _, v := range group {
		s, c := recordSeverity(v)
		if c != nil && (score == nil || c.Score > score.Score) {
			score = c
		}
		if s.Rank() > sev.Rank() {
			sev = s
		}
	}

	title := ""
	for _, v := range group {
		if title = strings.TrimSpace(v.GetSummary()); title != "" {
			break
		}
	}
	if title == "" {
		title = fmt.Sprintf("%s in %s", rep.GetId(), p.Name)
	}

	eco := p.Ecosystem().String()
	purl := ""
	if u := p.PURL(); u != nil {
		purl = u.String()
	}
	return findings.Finding{
		ID:       findings.Fingerprint(scanner, rep.GetId(), loc.Path, eco, p.Name, p.Version),
		Kind:     findings.KindVulnerability,
		Scanner:  scanner,
		RuleID:   rep.GetId(),
		Title:    title,
		Severity: sev,
		CVSS:     score,
		Location: loc,
		Package:  &findings.Package{Name: p.Name, Version: p.Version, Ecosystem: eco, PURL: purl},
		Vulnerability: &findings.Vulnerability{
			ID:            rep.GetId(),
			Aliases:       nonNil(aliases),
			Summary:       strings.TrimSpace(rep.GetSummary()),
			Details:       strings.TrimSpace(rep.GetDetails()),
			FixedVersions: nonNil(fixedVersions(p, group)),
			References:    nonNil(sortedSet(refs)),
			Published:     timestamp(rep.GetPublished().AsTime(), rep.GetPublished() != nil),
			Modified:      timestamp(rep.GetModified().AsTime(), rep.GetModified() != nil),
		},
	}
}

// groups partitions advisories into sets connected by shared ids or aliases.
func groups(vulns []*osvschema.Vulnerability) [][]*osvschema.Vulnerability {
	parent := make([]int, len(vulns))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, v := range vulns {
		for _, id := range append([]string{v.GetId()}, v.GetAliases()...) {
			if j, ok := owner[id]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[id] = i
			}
		}
	}
	byRoot := map[int][]*osvschema.Vulnerability{}
	var roots []int
	for i, v := range vulns {
		r := find(i)
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], v)
	}
	out := make([][]*osvschema.Vulnerability, 0, len(roots))
	for _, r := range roots {
		out = append(out, byRoot[r])
	}
	return out
}

// compareIDs orders advisory ids for choosing a group's representative: the
// ecosystem's own database first (GO-, PYSEC-, RUSTSEC-, DSA-, ...), then
// GitHub's (GHSA-), then CVE- and anything else; ties in lexical order. A
// finding thus carries the id that the ecosystem's users know (GO-2021-0113
// rather than its GHSA or CVE alias).
func compareIDs(a, b string) int {
	return cmp.Or(cmp.Compare(idRank(a), idRank(b)), cmp.Compare(a, b))
}

func idRank(id string) int {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return 2
	case strings.HasPrefix(id, "GHSA-"):
		return 1
	}
	return 0
}

// recordSeverity is one advisory's severity and its highest CVSS score.
func recordSeverity(v *osvschema.Vulnerability) (findings.Severity, *findings.CVSS) {
	sevs := slices.Clone(v.GetSeverity())
	labels := []string{structString(v.GetDatabaseSpecific(), "severity")}
	for _, a := range v.GetAffected() {
		sevs = append(sevs, a.GetSeverity()...)
		labels = append(labels, structString(a.GetEcosystemSpecific(), "severity"), structString(a.GetDatabaseSpecific(), "severity"))
	}
	var best *findings.CVSS
	for _, modern := range []bool{true, false} {
		for _, s := range sevs {
			if (s.GetType() == osvschema.Severity_CVSS_V2) == modern {
				continue
			}
			score, ok := baseScore(s)
			if ok && (best == nil || score > best.Score) {
				best = &findings.CVSS{Score: score, Vector: s.GetScore()}
			}
		}
		if best != nil {
			break
		}
	}
	if best != nil {
		return findings.SeverityFromScore(best.Score), best
	}
	sev := findings.SeverityUnknown
	for _, l := range labels {
		if s, err := findings.ParseSeverity(l); err == nil && s.Rank() > sev.Rank() {
			sev = s
		}
	}
	return sev, nil
}

// baseScore computes the base score of a CVSS vector; false when the vector
// cannot be parsed.
func baseScore(s *osvschema.Severity) (float64, bool) {
	vec := s.GetScore()
	switch s.GetType() {
	case osvschema.Severity_CVSS_V4:
		if c, err := cvss40.ParseVector(vec); err == nil {
			return c.Score(), true
		}
	case osvschema.Severity_CVSS_V3:
		if strings.HasPrefix(vec, "CVSS:3.0/") {
			if c, err := cvss30.ParseVector(vec); err == nil {
				return c.BaseScore(), true
			}
		} else if c, err := cvss31.ParseVector(vec); err == nil {
			return c.BaseScore(), true
		}
	case osvschema.Severity_CVSS_V2:
		if c, err := cvss20.ParseVector(vec); err == nil {
			return c.BaseScore(), true
		}
	}
	return 0, false
}

func structString(s *structpb.Struct, key string) string {
	if s == nil {
		return ""
	}
	return s.GetFields()[key].GetStringValue()
}

// fixedVersions lists the fixed events of the ranges that name p that are
// above the installed version (a fix below it does not help), in version
// order. Empty means no fix is available for the installed line.
func fixedVersions(p *extractor.Package, group []*osvschema.Vulnerability) []string {
	eco := Ecosystem(p)
	full := p.Ecosystem().String()
	keys := lookupKeys(p)
	var fixed []string
	for _, v := range group {
		for _, a := range v.GetAffected() {
			pk := a.GetPackage()
			if !slices.Contains(keys, indexKey(baseEcosystem(pk.GetEcosystem()), pk.GetName())) {
				continue
			}
			// An entry for another release ("Alpine:v3.20" for a v3.18
			// package) holds that release's fixes.
			if strings.Contains(pk.GetEcosystem(), ":") && pk.GetEcosystem() != full {
				continue
			}
			for _, r := range a.GetRanges() {
				for _, e := range r.GetEvents() {
					if f := e.GetFixed(); f != "" && r.GetType() != osvschema.Range_GIT {
						fixed = append(fixed, f)
					}
				}
			}
		}
	}
	fixed = sortedSet(fixed)
	installed, err := semantic.Parse(p.Version, eco)
	if err != nil {
		return fixed
	}
	var above []string
	for _, f := range fixed {
		if c, err := installed.CompareStr(f); err != nil || c < 0 {
			above = append(above, f)
		}
	}
	slices.SortStableFunc(above, func(a, b string) int {
		va, err := semantic.Parse(a, eco)
		if err != nil {
			return 0
		}
		c, err := va.CompareStr(b)
		if err != nil {
			return 0
		}
		return c
	})
	return above
}

func sortedSet(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func timestamp(t time.Time, ok bool) string {
	if !ok {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
