package report

import (
	"cmp"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/printable"
)

// SARIF output constants.
const (
	// DefaultMaxSARIFResults is GitHub code scanning's limit on results per
	// run; a SARIF file with more is rejected.
	DefaultMaxSARIFResults = 25000

	// PolicyRuleID is the SARIF rule of policy results about the whole
	// document.
	PolicyRuleID = "secgate-policy"

	// FingerprintKey is the partialFingerprints key holding secgate's own
	// fingerprint (see sarifOutputter). The version suffix changes if the
	// fingerprint algorithm ever does.
	FingerprintKey = "secgate/v1"

	// githubFingerprintKey is the partialFingerprints key GitHub code
	// scanning matches alerts on.
	githubFingerprintKey = "primaryLocationLineHash"

	sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	informationURI = "https://github.com/secgate/secgate"
	srcRootBaseID  = "%SRCROOT%"
)

// SARIF levels.
const (
	levelError   = "error"
	levelWarning = "warning"
	levelNote    = "note"
)

// sarifOutputter writes SARIF 2.1.0 (one run, tool "secgate") for GitHub
// code scanning and other SARIF consumers: one rule per finding rule_id and
// per policy rule, one result per finding and per policy result about the
// whole scan, levels from the decision, waived findings as suppressed
// results, partialFingerprints from the finding IDs, at most
// Options.MaxResults results (the most severe). docs/outputs.md says what
// each field holds and why; the comments below say only what the code
// alone does not.
type sarifOutputter struct {
	opts Options
}

// pendingResult is a result before truncation.
type pendingResult struct {
	level    string
	severity int // severity rank; policy results rank above critical
	finding  *view
	policy   *levelledResult
	rule     string // the SARIF rule id, set after truncation
}

// sarifLogJSON, sarifRunJSON and sarifResultJSON are how the go-sarif log is
// written: the same JSON, in the same key order, with the results'
// suppressions written by secgate (see sarifOutputter). The outer fields
// shadow the embedded ones of the same JSON name.
type sarifLogJSON struct {
	*sarif.Report
	Runs []*sarifRunJSON `json:"runs"`
}

type sarifRunJSON struct {
	*sarif.Run
	Results    []*sarifResultJSON `json:"results"`
	Properties sarif.Properties   `json:"properties,omitempty"`
}

type sarifResultJSON struct {
	*sarif.Result
	// Suppressions is nil (absent), empty ([], not suppressed) or the
	// suppressions of the result.
	Suppressions *[]sarifSuppression `json:"suppressions,omitempty"`
}

// sarifSuppression is a SARIF 2.1.0 suppression object (§3.35).
type sarifSuppression struct {
	Kind          string           `json:"kind"`
	Status        string           `json:"status,omitempty"`
	Justification string           `json:"justification,omitempty"`
	Properties    sarif.Properties `json:"properties,omitempty"`
}

func (o *sarifOutputter) Output(w io.Writer, doc *findings.Document) error {
	if doc == nil {
		return errNilDocument
	}
	log, err := o.build(doc)
	if err != nil {
		return err
	}
	return writeJSON(w, log)
}

func (o *sarifOutputter) build(doc *findings.Document) (*sarifLogJSON, error) {
	vs := views(doc, sortedFindings(doc.Findings))

	pending := make([]pendingResult, 0, len(vs))
	for i := range vs {
		pending = append(pending, pendingResult{
			level:    sarifLevel(vs[i].Decision),
			severity: severityOf(vs[i].Severity).Rank(),
			finding:  &vs[i],
		})
	}
	docResults := documentLevelResults(doc)
	for i := range docResults {
		pending = append(pending, pendingResult{
			level:    sarifLevel(docResults[i].Level),
			severity: findings.SeverityCritical.Rank() + 1,
			policy:   &docResults[i],
		})
	}
	total := len(pending)
	pending, omitted := o.truncate(pending)

	assignRules(pending)
	rules, index := buildRules(pending)

	log, err := sarif.New(sarif.Version210, false)
	if err != nil {
		return nil, err
	}
	log.Schema = sarifSchemaURI
	run := sarif.NewRunWithInformationURI("secgate", informationURI)
	if doc.Tool.Version != "" {
		run.Tool.Driver.WithVersion(doc.Tool.Version)
	}
	run.Tool.Driver.WithRules(rules)

	policyURI := policyFile(doc, o.opts)
	results := make([]*sarifResultJSON, 0, len(pending))
	suppressed := false
	for _, p := range pending {
		var r *sarif.Result
		if p.finding != nil {
			r = findingResult(p.finding)
		} else {
			r = policyResult(*p.policy, p.rule, policyURI)
		}
		r.WithRuleIndex(index[p.rule]).WithLevel(p.level)
		rj := &sarifResultJSON{Result: r}
		if p.finding != nil && p.finding.Decision == findings.DecisionWaived {
			rj.Suppressions = &[]sarifSuppression{suppression(&p.finding.Finding)}
			suppressed = true
		}
		results = append(results, rj)
	}
	if suppressed {
		for _, rj := range results {
			if rj.Suppressions == nil {
				rj.Suppressions = &[]sarifSuppression{}
			}
		}
	}

	// The scans' warnings ("no lockfile or manifest found") and a
	// truncation are the run's tool execution notifications.
	var notes []*sarif.Notification
	for _, sc := range sortedScans(doc.Scans) {
		for _, w := range sc.Warnings {
			notes = append(notes, sarif.NewNotification().WithLevel(levelWarning).WithTextMessage(fmt.Sprintf("%s scan of %s: %s", sc.Scanner, sc.Target, w)))
		}
	}
	if len(omitted) > 0 {
		msg := fmt.Sprintf("SARIF output truncated to the %d most severe of %d results (GitHub code scanning accepts at most %d per run); omitted %s.",
			len(pending), total, DefaultMaxSARIFResults, describeOmitted(omitted))
		if len(pending) != DefaultMaxSARIFResults {
			msg = fmt.Sprintf("SARIF output truncated to the %d most severe of %d results; omitted %s.",
				len(pending), total, describeOmitted(omitted))
		}
		o.opts.warn("%s", msg)
		run.PropertyBag = sarif.PropertyBag{Properties: sarif.Properties{
			"truncated":      true,
			"totalResults":   total,
			"omittedResults": total - len(pending),
			"maxResults":     len(pending),
		}}
		notes = append(notes, sarif.NewNotification().WithLevel(levelWarning).WithTextMessage(msg))
	}
	if len(notes) > 0 {
		run.AddInvocation(true).WithToolExecutionNotifications(notes)
	}

	log.AddRun(run)
	return &sarifLogJSON{Report: log, Runs: []*sarifRunJSON{{Run: run, Results: results, Properties: run.Properties}}}, nil
}

// suppression is the suppression of a waived finding: by its waiver, or
// (without one) by its VEX statement.
func suppression(f *findings.Finding) sarifSuppression {
	if f.Waiver == nil && f.VEX != nil {
		return vexSuppression(f.VEX)
	}
	return waiverSuppression(f.Waiver)
}

// vexSuppression is the suppression of a finding waived by its VEX
// statement: accepted by an external source, the VEX document, its
// justification and statement as the justification, its status, the
// justification's name and the document as properties.
func vexSuppression(x *findings.VEX) sarifSuppression {
	s := sarifSuppression{Kind: "external", Status: "accepted", Justification: vexJustification(x)}
	s.Properties = sarif.Properties{"vexStatus": x.Status, "vexSource": x.Source}
	if x.Justification != "" {
		s.Properties["vexJustification"] = x.Justification
	}
	return s
}

// waiverSuppression is the suppression of a finding a waiver accepts.
func waiverSuppression(w *findings.Waiver) sarifSuppression {
	s := sarifSuppression{Kind: "external", Status: "accepted", Justification: "Waived by a secgate waiver."}
	if w == nil {
		return s
	}
	if r := strings.TrimSpace(w.Reason); r != "" {
		s.Justification = r
	}
	props := sarif.Properties{}
	if e := strings.TrimSpace(w.Expires); e != "" {
		props["expires"] = e
	}
	if o := strings.TrimSpace(w.Owner); o != "" {
		props["owner"] = o
	}
	if len(props) > 0 {
		s.Properties = props
	}
	return s
}

// truncate keeps the most severe results when there are more than the
// maximum, in their original order, and returns the omitted ones.
func (o *sarifOutputter) truncate(pending []pendingResult) (kept, omitted []pendingResult) {
	limit := o.opts.MaxResults
	if limit == 0 {
		limit = DefaultMaxSARIFResults
	}
	if limit < 0 || len(pending) <= limit {
		return pending, nil
	}
	order := make([]int, len(pending))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(
			cmp.Compare(levelRank(pending[a].level), levelRank(pending[b].level)),
			cmp.Compare(pending[b].severity, pending[a].severity),
			cmp.Compare(a, b),
		)
	})
	keep := make([]bool, len(pending))
	for _, i := range order[:limit] {
		keep[i] = true
	}
	kept = make([]pendingResult, 0, limit)
	for i, p := range pending {
		if keep[i] {
			kept = append(kept, p)
		} else {
			omitted = append(omitted, p)
		}
	}
	return kept, omitted
}

func describeOmitted(omitted []pendingResult) string {
	counts := map[string]int{}
	for _, p := range omitted {
		counts[p.level]++
	}
	var parts []string
	for _, l := range []string{levelError, levelWarning, levelNote} {
		if n := counts[l]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, l))
		}
	}
	return strings.Join(parts, ", ")
}

// sarifLevel is the level of a result from the policy's decision. Waived
// findings are notes, like allowed ones (see sarifOutputter).
func sarifLevel(decision string) string {
	switch decision {
	case findings.DecisionDeny:
		return levelError
	case findings.DecisionWarn:
		return levelWarning
	}
	return levelNote
}

func levelRank(level string) int {
	switch level {
	case levelError:
		return 0
	case levelWarning:
		return 1
	}
	return 2
}

// securitySeverity is the score GitHub uses to rank a finding: its CVSS base
// score, else a value inside the severity's CVSS band.
func securitySeverity(f findings.Finding) float64 {
	if f.CVSS != nil && f.CVSS.Score > 0 {
		return min(f.CVSS.Score, 10)
	}
	return severityScore(f.Severity)
}

// severityScore is the security-severity of a severity without CVSS score.
func severityScore(s findings.Severity) float64 {
	switch severityOf(s) {
	case findings.SeverityCritical:
		return 9.5
	case findings.SeverityMedium:
		return 5.5
	case findings.SeverityLow:
		return 2.0
	}
	return 8.0 // high, and unknown: secgate fails closed
}

func severityLevel(s findings.Severity) string {
	switch severityOf(s) {
	case findings.SeverityMedium:
		return levelWarning
	case findings.SeverityLow:
		return levelNote
	}
	return levelError
}

func ruleID(f findings.Finding) string {
	if f.RuleID != "" {
		return f.RuleID
	}
	if f.Vulnerability != nil && f.Vulnerability.ID != "" {
		return f.Vulnerability.ID
	}
	return "secgate-unknown-rule"
}

// ruleInfo gathers, over the (kept) findings of one rule, what its
// reportingDescriptor says.
type ruleInfo struct {
	id         string
	kind       findings.Kind
	scanner    string
	title      string
	summary    string
	details    string
	severity   findings.Severity
	score      float64
	cvss       *findings.CVSS
	packages   []pkgRow
	aliases    []string
	references []string
	ecosystems []string
	seen       map[string]bool // the packages listed, by pkgRow key
	// kev and epss are the advisory's exploitation data (the same for
	// every finding of it), nil when it has none.
	kev  *findings.KEV
	epss *findings.EPSS
}

// pkgRow is an affected package in a rule's help.
type pkgRow struct {
	Name, Version, Ecosystem, Fixed string
	Reach                           string // reachText of the finding's analysis
}

func (ri *ruleInfo) add(f findings.Finding) {
	if ri.kind == "" {
		ri.kind, ri.scanner = f.Kind, f.Scanner
	}
	if ri.title == "" {
		ri.title = strings.TrimSpace(f.Title)
	}
	sev := severityOf(f.Severity)
	if ri.severity == "" || sev.Rank() > ri.severity.Rank() {
		ri.severity = sev
	}
	ri.score = max(ri.score, securitySeverity(f))
	if f.CVSS != nil && (ri.cvss == nil || f.CVSS.Score > ri.cvss.Score) {
		ri.cvss = f.CVSS
	}
	if v := f.Vulnerability; v != nil {
		if ri.summary == "" {
			ri.summary = strings.TrimSpace(v.Summary)
		}
		if ri.details == "" {
			ri.details = strings.TrimSpace(v.Details)
		}
		ri.aliases = appendNew(ri.aliases, v.Aliases...)
		ri.references = appendNew(ri.references, v.References...)
		if ri.kev == nil {
			ri.kev = v.KEV
		}
		if ri.epss == nil {
			ri.epss = v.EPSS
		}
	}
	if p := f.Package; p != nil {
		row := pkgRow{Name: p.Name, Version: p.Version, Ecosystem: p.Ecosystem, Fixed: strings.Join(fixedVersions(f), ", "), Reach: reachText(f.Reachability)}
		if key := row.Ecosystem + "\x00" + row.Name + "\x00" + row.Version + "\x00" + row.Fixed + "\x00" + row.Reach; !ri.seen[key] {
			ri.seen[key] = true
			ri.packages = append(ri.packages, row)
		}
		ri.ecosystems = appendNew(ri.ecosystems, p.Ecosystem)
	}
}

// appendNew appends the non-empty values of vs not yet in s.
func appendNew(s []string, vs ...string) []string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	return s
}

// assignRules sets the SARIF rule of each (kept) result: the finding's rule,
// or for a policy result about the whole document the id of its rule's
// METADATA, else PolicyRuleID. A metadata id that is also the rule of a kept
// finding, or PolicyRuleID itself, is not used (the result gets
// PolicyRuleID), so that a rule id names one kind of rule only.
func assignRules(pending []pendingResult) {
	findingRules := map[string]bool{}
	for i := range pending {
		if f := pending[i].finding; f != nil {
			pending[i].rule = f.rule
			findingRules[pending[i].rule] = true
		}
	}
	for i := range pending {
		if r := pending[i].policy; r != nil {
			pending[i].rule = PolicyRuleID
			if id := policyRuleID(r.Rule); id != "" && id != PolicyRuleID && !findingRules[id] {
				pending[i].rule = id
			}
		}
	}
}

// policyRuleID is the id of a policy rule's metadata, "" when it has none.
func policyRuleID(m *findings.RuleMeta) string {
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m.ID)
}

// policyRuleInfo gathers, over the (kept) policy results of one rule id,
// what its reportingDescriptor says: per field the first non-empty value in
// output order, the highest known severity and the most severe level.
type policyRuleInfo struct {
	id, title, description, remediation string
	severity                            findings.Severity // "" when unknown
	level                               string
}

func (pi *policyRuleInfo) add(r levelledResult) {
	if levelRank(sarifLevel(r.Level)) < levelRank(pi.level) || pi.level == "" {
		pi.level = sarifLevel(r.Level)
	}
	m := r.Rule
	if m == nil {
		return
	}
	pi.title = cmp.Or(pi.title, strings.TrimSpace(m.Title))
	pi.description = cmp.Or(pi.description, strings.TrimSpace(m.Description))
	pi.remediation = cmp.Or(pi.remediation, strings.TrimSpace(m.Remediation))
	if sev := metaSeverity(m.Severity); sev != "" && (pi.severity == "" || sev.Rank() > pi.severity.Rank()) {
		pi.severity = sev
	}
}

// metaSeverity reads the severity of a policy rule's metadata: critical,
// high, medium or low in any case, else "" (unknown).
func metaSeverity(s string) findings.Severity {
	switch sev := findings.Severity(strings.ToLower(strings.TrimSpace(s))); sev {
	case findings.SeverityCritical, findings.SeverityHigh, findings.SeverityMedium, findings.SeverityLow:
		return sev
	}
	return ""
}

func buildRules(pending []pendingResult) ([]*sarif.ReportingDescriptor, map[string]int) {
	infos := map[string]*ruleInfo{}
	policies := map[string]*policyRuleInfo{}
	generic := false
	for _, p := range pending {
		switch {
		case p.finding != nil:
			ri := infos[p.rule]
			if ri == nil {
				ri = &ruleInfo{id: p.rule, seen: map[string]bool{}}
				infos[p.rule] = ri
			}
			ri.add(p.finding.Finding)
		case p.rule == PolicyRuleID:
			generic = true
		default:
			pi := policies[p.rule]
			if pi == nil {
				pi = &policyRuleInfo{id: p.rule}
				policies[p.rule] = pi
			}
			pi.add(*p.policy)
		}
	}
	ids := make([]string, 0, len(infos)+len(policies)+1)
	for id := range infos {
		ids = append(ids, id)
	}
	for id := range policies {
		ids = append(ids, id)
	}
	if generic && infos[PolicyRuleID] == nil {
		ids = append(ids, PolicyRuleID)
	}
	slices.Sort(ids)

	rules := make([]*sarif.ReportingDescriptor, len(ids))
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
		switch {
		case infos[id] != nil:
			rules[i] = findingRule(infos[id])
		case policies[id] != nil:
			rules[i] = policyMetaRule(policies[id])
		default:
			rules[i] = policyRule()
		}
	}
	return rules, index
}

// policyMetaRule is the rule of policy results whose rule has METADATA with
// an id: short description the title (else the id), full description the
// description (else the title), help the description and the remediation,
// tags "security" and "policy", and for a known severity its
// security-severity (as for findings: 9.5, 8.0, 5.5, 2.0) and default level
// (critical and high "error", medium "warning", low "note"); without one,
// no security-severity and the level of its most severe result.
func policyMetaRule(pi *policyRuleInfo) *sarif.ReportingDescriptor {
	short := cmp.Or(pi.title, pi.id)
	full := cmp.Or(pi.description, pi.title, pi.id)
	level := pi.level
	props := sarif.Properties{"tags": []string{"security", "policy"}}
	if pi.severity != "" {
		level = severityLevel(pi.severity)
		props["security-severity"] = fmt.Sprintf("%.1f", severityScore(pi.severity))
	}

	h := policyHelp{Short: short, Severity: pi.severity, Remediation: pi.remediation}
	if pi.description != short {
		h.Description = pi.description
	}
	text, md := help("policy", h)
	return sarif.NewRule(pi.id).
		WithShortDescription(sarif.NewMultiformatMessageString(short)).
		WithFullDescription(sarif.NewMultiformatMessageString(full)).
		WithHelp(sarif.NewMultiformatMessageString(text).WithMarkdown(md)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(level)).
		WithProperties(props)
}

func findingRule(ri *ruleInfo) *sarif.ReportingDescriptor {
	short := cmp.Or(ri.summary, ri.title, ri.id)
	full := cmp.Or(ri.details, ri.title, ri.summary, ri.id)

	tags := appendNew([]string{"security"}, string(ri.kind))
	eco := slices.Clone(ri.ecosystems)
	slices.Sort(eco)
	tags = appendNew(tags, eco...)
	if len(tags) > 10 { // GitHub keeps at most 10 tags per rule
		tags = tags[:10]
	}

	h := findingHelp{ID: ri.id, Short: short, Severity: ri.severity, CVSS: ri.cvss, KEV: ri.kev, EPSS: ri.epss, Aliases: sortedCopy(ri.aliases), References: ri.references}
	if ri.details != short {
		h.Details = ri.details
	}
	h.Packages, h.More = helpPackages(ri.packages)
	h.Reach = slices.ContainsFunc(h.Packages, func(p pkgRow) bool { return p.Reach != "" })
	text, md := help("finding", h)
	return sarif.NewRule(ri.id).
		WithShortDescription(sarif.NewMultiformatMessageString(short)).
		WithFullDescription(sarif.NewMultiformatMessageString(full)).
		WithHelp(sarif.NewMultiformatMessageString(text).WithMarkdown(md)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(severityLevel(ri.severity))).
		WithProperties(exploitProperties(sarif.Properties{
			"tags":              tags,
			"security-severity": fmt.Sprintf("%.1f", ri.score),
		}, ri.kev, ri.epss))
}

// exploitProperties adds a rule's exploitation data to its properties:
// kev (true), kev-cve, kev-date-added, kev-due-date, kev-known-ransomware;
// epss (the score), epss-percentile, epss-date, epss-cve.
func exploitProperties(props sarif.Properties, kev *findings.KEV, epss *findings.EPSS) sarif.Properties {
	if kev != nil {
		props["kev"] = true
		props["kev-cve"] = kev.CVE
		props["kev-date-added"] = kev.DateAdded
		props["kev-due-date"] = kev.DueDate
		props["kev-known-ransomware"] = kev.KnownRansomware
	}
	if epss != nil {
		props["epss"] = epss.Score
		props["epss-percentile"] = epss.Percentile
		props["epss-date"] = epss.Date
		props["epss-cve"] = epss.CVE
	}
	return props
}

func policyRule() *sarif.ReportingDescriptor {
	const (
		short = "secgate policy result about the whole scan"
		full  = "A deny or warn rule of a secgate policy fired about the scan as a whole rather than about one finding, for example a limit on the number of findings. The result's message names the policy package."
	)
	return sarif.NewRule(PolicyRuleID).
		WithShortDescription(sarif.NewMultiformatMessageString(short)).
		WithFullDescription(sarif.NewMultiformatMessageString(full)).
		WithHelp(sarif.NewMultiformatMessageString(scanRuleHelp).WithMarkdown(scanRuleHelp)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(levelError)).
		WithProperties(sarif.Properties{"tags": []string{"policy", "secgate"}})
}

// maxHelpPackages caps the affected packages listed in a rule's help; the
// results name every one.
const maxHelpPackages = 50

// helpPackages returns the packages to list in a rule's help, sorted, and
// how many more there are.
func helpPackages(ps []pkgRow) ([]pkgRow, int) {
	ps = sortedPackages(ps)
	if len(ps) > maxHelpPackages {
		return ps[:maxHelpPackages], len(ps) - maxHelpPackages
	}
	return ps, 0
}

func sortedPackages(ps []pkgRow) []pkgRow {
	out := slices.Clone(ps)
	slices.SortFunc(out, func(a, b pkgRow) int {
		return cmp.Or(
			cmp.Compare(a.Ecosystem, b.Ecosystem),
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.Fixed, b.Fixed),
			cmp.Compare(a.Reach, b.Reach),
		)
	})
	return out
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "\r\n", " ", "\n", " ", "\r", " ",
)

// mdEscape makes s literal, printable inline markdown text.
func mdEscape(s string) string { return printable.Line(mdEscaper.Replace(s)) }

// mdCell is mdEscape for a table cell ("-" when empty).
func mdCell(s string) string {
	if s == "" {
		return "-"
	}
	return mdEscape(s)
}

// mdLink renders a reference as an autolink when it is a plain http(s) URL,
// else as escaped text.
func mdLink(ref string) string {
	u, err := url.Parse(ref)
	if err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
		!strings.ContainsAny(ref, " <>\"`\n\r\t") {
		return "<" + ref + ">"
	}
	return mdEscape(ref)
}

// artifactURI turns a slash-separated relative path into a URI reference,
// percent-encoding what a URI cannot hold (spaces, "#", "?", "%").
func artifactURI(path string) string {
	return (&url.URL{Path: path}).String()
}

func location(path string, line, column int) *sarif.Location {
	region := sarif.NewRegion().WithStartLine(max(line, 1))
	if column > 0 && line > 0 {
		region.WithStartColumn(column)
	}
	return sarif.NewLocationWithPhysicalLocation(
		sarif.NewPhysicalLocation().
			WithArtifactLocation(sarif.NewSimpleArtifactLocation(artifactURI(path)).WithUriBaseId(srcRootBaseID)).
			WithRegion(region),
	)
}

func findingResult(v *view) *sarif.Result {
	fp := findingIDOrFingerprint(v)
	return sarif.NewRuleResult(v.rule).
		WithMessage(sarif.NewTextMessage(v.message())).
		WithLocations([]*sarif.Location{location(v.file, v.line, v.column)}).
		WithPartialFingerPrints(map[string]any{FingerprintKey: fp, githubFingerprintKey: fp})
}

func policyResult(r levelledResult, rule, fallback string) *sarif.Result {
	msg := strings.TrimSpace(r.Msg)
	if msg == "" {
		msg = "Policy " + r.Level + " result."
	}
	switch {
	case r.Policy != "" && r.ID != "":
		msg += fmt.Sprintf(" (policy %s, finding %s)", r.Policy, r.ID)
	case r.Policy != "":
		msg += fmt.Sprintf(" (policy %s)", r.Policy)
	case r.ID != "":
		msg += fmt.Sprintf(" (finding %s)", r.ID)
	}
	msg = withRemediation(msg, r.Rule)
	// The fingerprint does not depend on the rule, its metadata or where
	// it is written: the same result has the same fingerprint whatever
	// describes its rule.
	fp := findings.Fingerprint(PolicyRuleID, r.Level, r.Policy, r.Msg, r.ID)
	file, line := policyPlace(r.PolicyResult, fallback)
	return sarif.NewRuleResult(rule).
		WithMessage(sarif.NewTextMessage(msg)).
		WithLocations([]*sarif.Location{location(file, line, 0)}).
		WithPartialFingerPrints(map[string]any{FingerprintKey: fp, githubFingerprintKey: fp})
}

// withRemediation appends the remediation of the rule's metadata to a
// policy message, when there is one and the message does not already say
// it: "MSG. Remediation: REMEDIATION".
func withRemediation(msg string, m *findings.RuleMeta) string {
	if m == nil {
		return msg
	}
	rem := strings.TrimSpace(m.Remediation)
	if rem == "" || strings.Contains(msg, rem) {
		return msg
	}
	if msg != "" && !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "!") && !strings.HasSuffix(msg, "?") {
		msg += "."
	}
	if msg != "" {
		msg += " "
	}
	return msg + "Remediation: " + rem
}
