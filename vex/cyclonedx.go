package vex

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	govex "github.com/openvex/go-vex/pkg/vex"

	"github.com/secgate/secgate/findings"
)

// cdxStatus maps CycloneDX's analysis states onto OpenVEX's statuses, as
// CycloneDX's own VEX guidance pairs them: a false positive is not
// affected, a resolved vulnerability fixed, an exploitable one affected.
var cdxStatus = map[cdx.ImpactAnalysisState]string{
	cdx.IASNotAffected:          findings.VEXNotAffected,
	cdx.IASFalsePositive:        findings.VEXNotAffected,
	cdx.IASResolved:             findings.VEXFixed,
	cdx.IASResolvedWithPedigree: findings.VEXFixed,
	cdx.IASExploitable:          findings.VEXAffected,
	cdx.IASInTriage:             findings.VEXUnderInvestigation,
}

// cdxJustification maps CycloneDX's justifications onto OpenVEX's, so
// that a policy reads one vocabulary whichever format the VEX came in.
var cdxJustification = map[cdx.ImpactAnalysisJustification]govex.Justification{
	cdx.IAJCodeNotPresent:               govex.VulnerableCodeNotPresent,
	cdx.IAJCodeNotReachable:             govex.VulnerableCodeNotInExecutePath,
	cdx.IAJRequiresConfiguration:        govex.VulnerableCodeCannotBeControlledByAdversary,
	cdx.IAJRequiresDependency:           govex.VulnerableCodeCannotBeControlledByAdversary,
	cdx.IAJRequiresEnvironment:          govex.VulnerableCodeCannotBeControlledByAdversary,
	cdx.IAJProtectedByCompiler:          govex.InlineMitigationsAlreadyExist,
	cdx.IAJProtectedAtRuntime:           govex.InlineMitigationsAlreadyExist,
	cdx.IAJProtectedAtPerimeter:         govex.InlineMitigationsAlreadyExist,
	cdx.IAJProtectedByMitigatingControl: govex.InlineMitigationsAlreadyExist,
}

// parseCycloneDX reads the vulnerabilities of a CycloneDX BOM (JSON, spec
// 1.4 or later) with cyclonedx-go: each one with an analysis state is a
// statement about the components its affects[].ref name, by bom-ref (or
// by a BOM-Link whose reference is a bom-ref of this BOM), each of which
// must have a package URL; a ref that is itself a package URL and no
// bom-ref names that package. A vulnerability without an analysis says
// nothing about exploitability (a VDR entry) and is skipped.
func parseCycloneDX(data []byte) ([]Statement, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(data), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		if errors.Is(err, cdx.ErrInvalidSpecVersion) {
			return nil, fmt.Errorf("read CycloneDX: %w", err)
		}
		return nil, fmt.Errorf("read CycloneDX: %w", jsonError(data, err))
	}
	if bom.SpecVersion < cdx.SpecVersion1_4 {
		return nil, fmt.Errorf("CycloneDX %s: vulnerabilities need CycloneDX 1.4 or later", bom.SpecVersion)
	}
	refs := map[string]string{} // bom-ref → purl
	var walk func(cs *[]cdx.Component)
	walk = func(cs *[]cdx.Component) {
		if cs == nil {
			return
		}
		for i := range *cs {
			c := &(*cs)[i]
			if c.BOMRef != "" {
				refs[c.BOMRef] = c.PackageURL
			}
			walk(c.Components)
		}
	}
	var docTime time.Time
	if m := bom.Metadata; m != nil {
		if m.Component != nil {
			walk(&[]cdx.Component{*m.Component})
		}
		if m.Timestamp != "" {
			t, err := time.Parse(time.RFC3339, m.Timestamp)
			if err != nil {
				return nil, fmt.Errorf("metadata.timestamp %q: want RFC 3339", m.Timestamp)
			}
			docTime = t.UTC()
		}
	}
	walk(bom.Components)
	if bom.Vulnerabilities == nil {
		return nil, nil
	}
	var out []Statement
	for i := range *bom.Vulnerabilities {
		v := &(*bom.Vulnerabilities)[i]
		st, ok, err := cdxStatement(v, refs, docTime)
		if err != nil {
			return nil, fmt.Errorf("vulnerabilities[%d] (%s): %w", i, v.ID, err)
		}
		if ok {
			out = append(out, st)
		}
	}
	return out, nil
}

func cdxStatement(v *cdx.Vulnerability, refs map[string]string, docTime time.Time) (Statement, bool, error) {
	a := v.Analysis
	if a == nil || a.State == "" {
		return Statement{}, false, nil
	}
	if strings.TrimSpace(v.ID) == "" {
		return Statement{}, false, errors.New("no id")
	}
	status, ok := cdxStatus[a.State]
	if !ok {
		return Statement{}, false, fmt.Errorf("analysis.state %q: unknown", a.State)
	}
	st := Statement{Vulnerabilities: []string{v.ID}, Status: status, Text: strings.TrimSpace(a.Detail)}
	if v.References != nil {
		for _, r := range *v.References {
			st.Vulnerabilities = append(st.Vulnerabilities, r.ID)
		}
	}
	if a.Justification != "" {
		j, ok := cdxJustification[a.Justification]
		if !ok {
			return Statement{}, false, fmt.Errorf("analysis.justification %q: unknown", a.Justification)
		}
		if status == findings.VEXNotAffected {
			st.Justification = string(j) // OpenVEX justifies not_affected only
		}
	}
	st.Time = docTime
	for _, when := range []struct{ name, value string }{
		{"analysis.lastUpdated", a.LastUpdated}, {"analysis.firstIssued", a.FirstIssued},
		{"updated", v.Updated}, {"published", v.Published}, {"created", v.Created},
	} {
		if when.value == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, when.value)
		if err != nil {
			return Statement{}, false, fmt.Errorf("%s %q: want RFC 3339", when.name, when.value)
		}
		st.Time = t.UTC()
		break
	}
	if v.Affects == nil || len(*v.Affects) == 0 {
		return Statement{}, false, errors.New("affects no component")
	}
	for j, af := range *v.Affects {
		if af.Range != nil && len(*af.Range) > 0 {
			// Which versions a range covers is the advisory's business;
			// a statement secgate cannot narrow to them must not waive
			// every version.
			return Statement{}, false, fmt.Errorf("affects[%d].versions: not supported (name the component with its version instead)", j)
		}
		purl, err := resolveRef(af.Ref, refs)
		if err != nil {
			return Statement{}, false, fmt.Errorf("affects[%d]: %w", j, err)
		}
		p, err := newProduct([]string{purl}, nil)
		if err != nil {
			return Statement{}, false, fmt.Errorf("affects[%d]: %w", j, err)
		}
		st.products = append(st.products, p)
	}
	return st, true, nil
}

// resolveRef returns the package URL of the component ref names: its
// bom-ref, or the reference of a BOM-Link; failing that a ref that is a
// package URL itself.
func resolveRef(ref string, refs map[string]string) (string, error) {
	key := ref
	if cdx.IsBOMLink(ref) {
		link, err := cdx.ParseBOMLink(ref)
		if err != nil {
			return "", fmt.Errorf("ref %q: %w", ref, err)
		}
		key = link.Reference()
	}
	if purl, ok := refs[key]; ok {
		if purl == "" {
			return "", fmt.Errorf("ref %q: the component has no purl", ref)
		}
		return purl, nil
	}
	if isPURL(key) {
		return key, nil
	}
	return "", fmt.Errorf("ref %q: no component of the BOM has that bom-ref, and it is not a package URL", ref)
}
