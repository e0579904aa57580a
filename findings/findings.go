// Package findings owns secgate's finding model: the document every scanner
// fills, the policy engine reads as input, and the JSON report writes out.
//
// Its JSON field names are a public contract (see docs/findings.md and the
// JSON Schema in schema.json): policies written by security teams and tools
// reading the JSON report depend on them. Add fields; never rename them.
package findings

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// SchemaVersion is the version of the findings document written by this
// build. It changes only when a field changes meaning or is removed.
const SchemaVersion = 2

// Kind says what a finding is about.
type Kind string

// The kinds of finding.
const (
	KindVulnerability    Kind = "vulnerability"
	KindSecret           Kind = "secret"
	KindMisconfiguration Kind = "misconfiguration"
)

// The scanners that produce findings.
const (
	ScannerDeps      = "deps"
	ScannerSecrets   = "secrets"
	ScannerContainer = "container"
)

// Baseline values.
const (
	BaselineNew      = "new"
	BaselineExisting = "existing"
)

// Decision values carried by a single finding once the policy has run.
const (
	DecisionDeny  = "deny"
	DecisionWarn  = "warn"
	DecisionAllow = "allow"
	// DecisionWaived: a deny or warn result named the finding, and a
	// waiver accepts it.
	DecisionWaived = "waived"
)

// Overall results of a gate.
const (
	ResultPass = "pass"
	ResultFail = "fail"
)

// Document is the findings document: what the scanners found and, once the
// policy has decided, the decision.
type Document struct {
	SchemaVersion int       `json:"schema_version"`
	Tool          Tool      `json:"tool"`
	Scans         []Scan    `json:"scans"`
	Findings      []Finding `json:"findings"`
	Decision      *Decision `json:"decision,omitempty"`
}

// Tool names the program that wrote the document.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// The kinds of scan target.
const (
	// TargetDirectory is a directory tree: paths in it are relative to it.
	TargetDirectory = "directory"
	// TargetFile is a single file (a lockfile): paths are relative to the
	// file's directory, so that a file it includes (requirements.txt's
	// "-r base.txt") has a path too.
	TargetFile = "file"
	// TargetImage is a container image: paths are the files in the image,
	// relative to its root.
	TargetImage = "image"
)

// Scan records one scanner's run over one target, so that a report (and a
// policy) can tell "scanned and found nothing" from "not scanned".
type Scan struct {
	Scanner string `json:"scanner"`
	// Target names what was scanned: a path relative to the report root
	// (see Root) or an image reference (whose local paths are relative to
	// the root too). Findings name it in Location.Target.
	Target string `json:"target"`
	// Kind is TargetDirectory, TargetFile or TargetImage; empty in
	// documents written before it existed, read as a directory.
	Kind string `json:"kind,omitempty"`
	// Source says what of the target was read when it is not its files
	// as they are: "git history", "git history after REF", "staged
	// changes".
	Source string `json:"source,omitempty"`
	// Config is the configuration file the scanner used (the secret
	// scanner's .gitleaks.toml), relative to the report root.
	Config string `json:"config,omitempty"`
	// Stats holds counts such as "files", "packages", "skipped_binary".
	Stats map[string]int `json:"stats,omitempty"`
	// Warnings say what a person should know about the scan, such as
	// that it found nothing to read ("no lockfile or manifest found").
	Warnings []string `json:"warnings,omitempty"`
}

// Finding is one problem a scanner found.
type Finding struct {
	// ID is a stable fingerprint of the finding (see Fingerprint): the same
	// problem in the same place has the same ID from run to run, and a line
	// move does not change it.
	ID       string   `json:"id"`
	Kind     Kind     `json:"kind"`
	Scanner  string   `json:"scanner"`
	RuleID   string   `json:"rule_id"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	CVSS     *CVSS    `json:"cvss,omitempty"`
	Location Location `json:"location"`
	// Package is the affected package, for vulnerability findings.
	Package *Package `json:"package,omitempty"`
	// Vulnerability holds the advisory, for vulnerability findings.
	Vulnerability *Vulnerability `json:"vulnerability,omitempty"`
	// Reachability says whether the program reaches the advisory's
	// vulnerable code, for Go vulnerability findings that were analyzed.
	Reachability *Reachability `json:"reachability,omitempty"`
	// Secret describes a secret finding, never with the secret itself.
	Secret *Secret `json:"secret,omitempty"`
	// Commit is the commit that added the finding, for findings in git
	// history.
	Commit *Commit `json:"commit,omitempty"`
	// Image says where in a container image the finding is, for findings
	// of the container scanner.
	Image *Image `json:"image,omitempty"`
	// Baseline is "new" or "existing" when the scan is compared with a
	// baseline report (--baseline): existing findings were in it.
	Baseline string `json:"baseline,omitempty"`
	// Decision is set by the policy: deny, warn, allow or waived.
	Decision string `json:"decision,omitempty"`
	// Waiver is the waiver that accepts the finding, when Decision is
	// waived.
	Waiver *Waiver `json:"waiver,omitempty"`
	// VEX is what a VEX statement says of the finding's vulnerability in
	// its package, when one matches (see package vex); the policy decides
	// what it means (the default: not_affected and fixed waive).
	VEX *VEX `json:"vex,omitempty"`
}

// The statuses of a VEX statement (OpenVEX's; CycloneDX analysis states
// are mapped onto them, see docs/vex.md).
const (
	VEXNotAffected        = "not_affected"
	VEXAffected           = "affected"
	VEXFixed              = "fixed"
	VEXUnderInvestigation = "under_investigation"
)

// VEX is the VEX statement that applies to a finding: the latest, by
// timestamp, of those naming its vulnerability (or an alias) and its
// package.
type VEX struct {
	// Status is not_affected, affected, fixed or under_investigation.
	Status string `json:"status"`
	// Justification is OpenVEX's justification of a not_affected status
	// (vulnerable_code_not_in_execute_path, ...), when the statement gives
	// one.
	Justification string `json:"justification,omitempty"`
	// Statement is the statement's text: its impact statement, else its
	// action statement (OpenVEX), or the analysis detail (CycloneDX).
	Statement string `json:"statement,omitempty"`
	// Source is the VEX document the statement is in, relative to the
	// report root (see Root).
	Source string `json:"source"`
}

// Waiver accepts findings for a while: those with the ID, or with the rule
// (optionally only under Path, a glob, and for Package), until Expires.
type Waiver struct {
	ID      string `json:"id,omitempty" yaml:"id"`
	RuleID  string `json:"rule_id,omitempty" yaml:"rule_id"`
	Path    string `json:"path,omitempty" yaml:"path"`
	Package string `json:"package,omitempty" yaml:"package"`
	// Reason is required: why the finding is accepted.
	Reason string `json:"reason" yaml:"reason"`
	// Expires is required, YYYY-MM-DD: the last day the waiver applies.
	Expires string `json:"expires" yaml:"expires"`
	Owner   string `json:"owner,omitempty" yaml:"owner"`
}

// CVSS is a CVSS base score with the vector it was computed from.
type CVSS struct {
	Score  float64 `json:"score"`
	Vector string  `json:"vector"`
}

// Location is where a finding is: in which scanned target, and where
// within it. Scanners fill it with raw places; each report format decides
// how to print it (see docs/findings.md). With Finding.Image (the layer)
// and Finding.Commit it is the finding's whole place.
type Location struct {
	// Target is the scanned target the finding is in, as Scan.Target
	// names it; empty in documents written before it existed.
	Target string `json:"target,omitempty"`
	// Path is slash-separated and relative to the target: to the scanned
	// directory, to a scanned file's directory, or to an image's root
	// ("usr/lib/os-release"). Empty for a finding about a whole image (its
	// configuration).
	Path string `json:"path"`
	// Line is 1-based; 0 (omitted) when the scanner cannot tell.
	Line int `json:"line,omitempty"`
	// Column is 1-based; 0 (omitted) when unknown.
	Column int `json:"column,omitempty"`
	// Dockerfile is the Dockerfile instruction that created the finding's
	// layer, when the image was scanned with its Dockerfile.
	Dockerfile *FileLine `json:"dockerfile,omitempty"`
}

// FileLine is a line of a file in the repository, the path relative to the
// report root (see Root).
type FileLine struct {
	Path string `json:"path"`
	Line int    `json:"line,omitempty"`
}

// Secret describes a hard-coded credential without revealing it.
type Secret struct {
	// Redacted is the part of the secret its rule's format makes public
	// (a provider prefix such as "AKIA" or "ghp_") and an ellipsis; for
	// rules without one, and low-confidence rules, the ellipsis alone.
	Redacted string `json:"redacted"`
	// Confidence is "high" for provider rules with a fixed format, "low" for
	// generic and entropy-based rules.
	Confidence string `json:"confidence"`
	// Fingerprint tells secrets apart and is stable from run to run; it is
	// keyed or deliberately slow (package secretid), so that the report
	// does not let its reader confirm a guess of the secret. Empty for
	// findings on a file's name alone (pkcs12-file).
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Image locates a finding in a container image.
type Image struct {
	// Ref is the image as the user named it (registry reference,
	// docker-archive:FILE, oci:DIR, dir:PATH), a local path relative to
	// the report root as in Scan.Target.
	Ref string `json:"ref"`
	// Path is the file in the image, absolute ("/var/lib/dpkg/status");
	// empty for findings about the image's configuration.
	Path string `json:"path,omitempty"`
	// Layer is the layer that added the file; nil for configuration
	// findings not tied to a layer.
	Layer *Layer `json:"layer,omitempty"`
}

// Layer is one layer of a container image.
type Layer struct {
	// Index is the layer's 0-based position, base layer first.
	Index int `json:"index"`
	// DiffID is the digest of the uncompressed layer.
	DiffID string `json:"diff_id"`
	// Command is the history entry that created it (the Dockerfile
	// instruction), when the image records one.
	Command string `json:"command,omitempty"`
}

// Commit identifies a git commit.
type Commit struct {
	SHA         string `json:"sha"`
	AuthorEmail string `json:"author_email,omitempty"`
	Date        string `json:"date,omitempty"`
}

// Package identifies a software package.
type Package struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Ecosystem string `json:"ecosystem"`
	PURL      string `json:"purl,omitempty"`
}

// Vulnerability is the advisory behind a vulnerability finding. Advisories
// that alias each other are one finding: ID is the representative, the
// others are in Aliases.
type Vulnerability struct {
	ID            string   `json:"id"`
	Aliases       []string `json:"aliases"`
	Summary       string   `json:"summary,omitempty"`
	Details       string   `json:"details,omitempty"`
	FixedVersions []string `json:"fixed_versions"`
	References    []string `json:"references"`
	Published     string   `json:"published,omitempty"`
	Modified      string   `json:"modified,omitempty"`
	// KEV is the CISA Known Exploited Vulnerabilities catalog's entry of
	// the advisory's CVE (its id or an alias), when the catalog lists it
	// and the run has the catalog (see package exploits).
	KEV *KEV `json:"kev,omitempty"`
	// EPSS is FIRST's Exploit Prediction Scoring System score of the
	// advisory's CVE, when the run has the scores.
	EPSS *EPSS `json:"epss,omitempty"`
}

// KEV is a CVE's entry in CISA's Known Exploited Vulnerabilities catalog:
// the vulnerability is exploited in the wild.
type KEV struct {
	// CVE is the catalog's cveID: the advisory's id or one of its aliases.
	CVE string `json:"cve"`
	// DateAdded and DueDate are the catalog's dateAdded and dueDate
	// (YYYY-MM-DD): when CISA listed it, and the remediation deadline it
	// set for US federal agencies.
	DateAdded string `json:"date_added"`
	DueDate   string `json:"due_date"`
	// KnownRansomware is the catalog's knownRansomwareCampaignUse "Known":
	// ransomware campaigns are known to use it.
	KnownRansomware bool `json:"known_ransomware"`
}

// EPSS is a CVE's score in FIRST's daily EPSS data: the probability of
// exploitation activity in the next 30 days, and its rank among all CVEs.
type EPSS struct {
	CVE string `json:"cve"`
	// Score is the probability, 0 to 1.
	Score float64 `json:"score"`
	// Percentile is the share of scored CVEs with a lower or equal score,
	// 0 to 1.
	Percentile float64 `json:"percentile"`
	// Date is the score_date of the scores (YYYY-MM-DD).
	Date string `json:"date"`
}

// Reachability is what call analysis (govulncheck's) found of a Go
// vulnerability in the program: whether its vulnerable symbols are called,
// only their packages imported, or only their module required.
type Reachability struct {
	// Status is one of the Reach constants.
	Status string `json:"status"`
	// Mode is how it was analyzed: "source" (the module's packages and a
	// call graph) or "binary" (the symbols a Go binary holds).
	Mode string `json:"mode,omitempty"`
	// Symbols are the vulnerable symbols called (source) or present
	// (binary), as "language.Parse" or "http.Request.ParseForm".
	Symbols []string `json:"symbols,omitempty"`
	// Trace is the shortest call stack to a vulnerable symbol, entry point
	// first ("main.main", ..., "language.Parse"); source mode only.
	Trace []string `json:"trace,omitempty"`
	// Reason says why the status is unknown.
	Reason string `json:"reason,omitempty"`
}

// Reachability statuses.
const (
	ReachCalled   = "called"   // a vulnerable symbol is called (or, in a binary, present)
	ReachImported = "imported" // a vulnerable package is imported, no vulnerable symbol reached
	ReachRequired = "required" // the module is required, no vulnerable package imported
	ReachUnknown  = "unknown"  // the analysis could not tell (see Reason)

	ReachSource = "source" // Reachability.Mode of a module's source
	ReachBinary = "binary" // Reachability.Mode of a Go binary
)

// Decision is the policy's verdict over the whole document.
type Decision struct {
	// Result is "fail" when any deny result is not waived, else "pass".
	Result string         `json:"result"`
	Deny   []PolicyResult `json:"deny"`
	Warn   []PolicyResult `json:"warn"`
	// Waived are the deny and warn results about waived findings.
	Waived []PolicyResult `json:"waived"`
}

// PolicyResult is one object produced by a deny or warn rule.
type PolicyResult struct {
	Msg string `json:"msg"`
	// ID is the finding the result is about; empty for a result about the
	// document as a whole (e.g. "more than 10 medium findings").
	ID string `json:"id,omitempty"`
	// Policy is the Rego package that produced the result, e.g.
	// "secgate.vulnerabilities".
	Policy string `json:"policy,omitempty"`
	// Rule describes the rule that produced the result, from its METADATA
	// annotation, when it has one.
	Rule *RuleMeta `json:"rule,omitempty"`
	// Location is where a result about the whole scan points: the rule's
	// line when its policy file lies under the report root, the waivers
	// file for the waivers policy's results, else the configuration file
	// the gate read; nil when there is none of these.
	Location *FileLine `json:"location,omitempty"`
}

// RuleMeta is what a policy's METADATA annotation says of a deny or warn
// rule: title and description, and custom id, severity and remediation.
type RuleMeta struct {
	ID          string `json:"id,omitempty"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Severity    string `json:"severity,omitempty"`
	Remediation string `json:"remediation,omitempty"`
}

// Fingerprint returns a stable identifier for a finding: the first 16 bytes,
// hex-encoded, of the SHA-256 of the parts joined by NUL bytes. Callers pass
// what identifies the problem (scanner, rule, path, package, ...) and never
// what merely locates it (a line number), so the ID survives line moves.
func Fingerprint(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

// Sort orders findings deterministically: by scanner, target, path, line,
// package, rule and finally ID, so that reports of the same input are
// byte-identical.
func Sort(fs []Finding) {
	slices.SortFunc(fs, Compare)
}

// Compare is the order of Sort.
func Compare(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.Scanner, b.Scanner),
		cmp.Compare(a.Location.Target, b.Location.Target),
		cmp.Compare(a.Location.Path, b.Location.Path),
		cmp.Compare(a.Location.Line, b.Location.Line),
		cmp.Compare(pkgKey(a.Package), pkgKey(b.Package)),
		cmp.Compare(a.RuleID, b.RuleID),
		cmp.Compare(a.ID, b.ID),
	)
}

func pkgKey(p *Package) string {
	if p == nil {
		return ""
	}
	return p.Ecosystem + "\x00" + p.Name + "\x00" + p.Version
}
