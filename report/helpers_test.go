package report

import (
	"bytes"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
)

// update rewrites the golden files: go test ./report -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleDocument is the hand-built document behind the golden files. It
// covers a vulnerability with CVSS, aliases and fixed versions (denied, and
// sharing its advisory with a second finding without CVSS), one in CISA KEV
// with an EPSS score (denied), a vulnerability
// without fix and of unknown severity and without a line (warn), an allowed
// one, a waived one (with its waiver and the waived policy result), a secret
// without package (with a column), and policy results: one about a finding,
// three about the whole document, one of them from a rule with METADATA in
// a policy file of the repository.
func sampleDocument() *findings.Document {
	text := findings.Finding{
		ID:       findings.Fingerprint("deps", "GO-2021-0113", "go.mod", "Go", "golang.org/x/text", "0.3.5"),
		Kind:     findings.KindVulnerability,
		Scanner:  findings.ScannerDeps,
		RuleID:   "GO-2021-0113",
		Title:    "Out-of-bounds read in golang.org/x/text/language",
		Severity: findings.SeverityHigh,
		CVSS:     &findings.CVSS{Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
		Location: findings.Location{Target: ".", Path: "go.mod", Line: 12},
		Package:  &findings.Package{Name: "golang.org/x/text", Version: "0.3.5", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/text@0.3.5"},
		Vulnerability: &findings.Vulnerability{
			ID:            "GO-2021-0113",
			Aliases:       []string{"GHSA-ppp9-7jff-5vj2", "CVE-2021-38561"},
			Summary:       "Out-of-bounds read in golang.org/x/text/language",
			Details:       "Due to improper index calculation, an incorrectly formatted language tag can cause Parse to panic via an out of bounds read.\n\nIf Parse is used to process untrusted user inputs, this may be used as a vector for a denial of service attack.",
			FixedVersions: []string{"0.3.7"},
			References:    []string{"https://go.dev/cl/340830", "https://github.com/golang/text/commit/383b2e75a7a4198c42f8f87833eefb772868a56f"},
			Published:     "2021-10-06T17:51:21Z",
		},
		Decision: findings.DecisionDeny,
	}
	// The same advisory in a second module, without a CVSS score: the rule's
	// security-severity is the highest of 7.5 and 8.0 (high).
	tools := text
	tools.ID = findings.Fingerprint("deps", "GO-2021-0113", "tools/go.mod", "Go", "golang.org/x/text", "0.3.6")
	tools.CVSS = nil
	tools.Location = findings.Location{Target: ".", Path: "tools/go.mod", Line: 7}
	tools.Package = &findings.Package{Name: "golang.org/x/text", Version: "0.3.6", Ecosystem: "Go"}
	// Reachability: the first module calls the vulnerable code, the
	// second could not be analyzed.
	text.Reachability = &findings.Reachability{Status: findings.ReachCalled, Mode: findings.ReachSource,
		Symbols: []string{"language.Parse"}, Trace: []string{"storefront.main", "storefront.negotiate", "language.Parse"}}
	tools.Reachability = &findings.Reachability{Status: findings.ReachUnknown, Mode: findings.ReachSource,
		Reason: "govulncheck: loading packages: main.go:3:8: module lookup disabled by GOPROXY=off"}

	leftpad := findings.Finding{
		ID:       findings.Fingerprint("deps", "GHSA-0000-0000-0001", "web/package-lock.json", "npm", "left-pad", "1.0.0"),
		Kind:     findings.KindVulnerability,
		Scanner:  findings.ScannerDeps,
		RuleID:   "GHSA-0000-0000-0001",
		Title:    "left-pad pads with the wrong character",
		Severity: findings.SeverityUnknown,
		Location: findings.Location{Target: ".", Path: "web/package-lock.json"},
		Package:  &findings.Package{Name: "left-pad", Version: "1.0.0", Ecosystem: "npm"},
		Vulnerability: &findings.Vulnerability{
			ID:      "GHSA-0000-0000-0001",
			Summary: "left-pad pads with the wrong character",
		},
		Decision: findings.DecisionWarn,
	}
	requests := findings.Finding{
		ID:       findings.Fingerprint("deps", "GHSA-j8r2-6x86-q33q", "requirements.txt", "PyPI", "requests", "2.25.0"),
		Kind:     findings.KindVulnerability,
		Scanner:  findings.ScannerDeps,
		RuleID:   "GHSA-j8r2-6x86-q33q",
		Title:    "Unintended leak of Proxy-Authorization header in requests",
		Severity: findings.SeverityMedium,
		Location: findings.Location{Target: ".", Path: "requirements.txt", Line: 3},
		Package:  &findings.Package{Name: "requests", Version: "2.25.0", Ecosystem: "PyPI"},
		Vulnerability: &findings.Vulnerability{
			ID:            "GHSA-j8r2-6x86-q33q",
			Aliases:       []string{"CVE-2023-32681", "PYSEC-2023-74"},
			Summary:       "Unintended leak of Proxy-Authorization header in requests",
			FixedVersions: []string{"2.31.0"},
			References:    []string{"https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q"},
		},
		Decision: findings.DecisionAllow,
	}
	// A critical advisory a waiver accepts: the deny about it is in
	// Decision.Waived.
	lodash := findings.Finding{
		ID:       findings.Fingerprint("deps", "GHSA-jf85-cpcp-j695", "web/package-lock.json", "npm", "lodash", "4.17.11"),
		Kind:     findings.KindVulnerability,
		Scanner:  findings.ScannerDeps,
		RuleID:   "GHSA-jf85-cpcp-j695",
		Title:    "Prototype Pollution in lodash",
		Severity: findings.SeverityCritical,
		CVSS:     &findings.CVSS{Score: 9.1, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"},
		Location: findings.Location{Target: ".", Path: "web/package-lock.json", Line: 88},
		Package:  &findings.Package{Name: "lodash", Version: "4.17.11", Ecosystem: "npm", PURL: "pkg:npm/lodash@4.17.11"},
		Vulnerability: &findings.Vulnerability{
			ID:            "GHSA-jf85-cpcp-j695",
			Aliases:       []string{"CVE-2019-10744"},
			Summary:       "Prototype Pollution in lodash",
			FixedVersions: []string{"4.17.12"},
			References:    []string{"https://nvd.nist.gov/vuln/detail/CVE-2019-10744"},
		},
		Decision: findings.DecisionWaived,
		Waiver: &findings.Waiver{
			RuleID:  "GHSA-jf85-cpcp-j695",
			Package: "lodash",
			Reason:  "defaultsDeep is never called with untrusted input; upgrade tracked in WEB-123",
			Expires: "2026-06-30",
			Owner:   "web-team@example.com",
		},
	}
	// Log4Shell, with its real CISA KEV entry and EPSS score
	// (testdata/exploits): reports mark it known exploited.
	log4j := findings.Finding{
		ID:       findings.Fingerprint("deps", "GHSA-jfh8-c2jp-5v3q", "api/pom.xml", "Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
		Kind:     findings.KindVulnerability,
		Scanner:  findings.ScannerDeps,
		RuleID:   "GHSA-jfh8-c2jp-5v3q",
		Title:    "Remote code injection in Log4j",
		Severity: findings.SeverityCritical,
		CVSS:     &findings.CVSS{Score: 10, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"},
		Location: findings.Location{Target: ".", Path: "api/pom.xml", Line: 31},
		Package:  &findings.Package{Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Ecosystem: "Maven", PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"},
		Vulnerability: &findings.Vulnerability{
			ID:            "GHSA-jfh8-c2jp-5v3q",
			Aliases:       []string{"CVE-2021-44228"},
			Summary:       "Remote code injection in Log4j",
			FixedVersions: []string{"2.15.0"},
			References:    []string{"https://nvd.nist.gov/vuln/detail/CVE-2021-44228"},
			Published:     "2021-12-10T00:40:56Z",
			KEV:           &findings.KEV{CVE: "CVE-2021-44228", DateAdded: "2021-12-10", DueDate: "2021-12-24", KnownRansomware: true},
			EPSS:          &findings.EPSS{CVE: "CVE-2021-44228", Score: 0.99999, Percentile: 1, Date: "2026-09-29"},
		},
		Decision: findings.DecisionDeny,
	}
	secret := findings.Finding{
		ID:       findings.Fingerprint("secrets", "aws-access-key-id", "config/prod.env", "AKIA...MPLE"),
		Kind:     findings.KindSecret,
		Scanner:  findings.ScannerSecrets,
		RuleID:   "aws-access-key-id",
		Title:    "AWS access key ID",
		Severity: findings.SeverityCritical,
		Location: findings.Location{Target: ".", Path: "config/prod.env", Line: 4, Column: 9},
		Decision: findings.DecisionDeny,
	}
	fs := []findings.Finding{text, tools, leftpad, requests, lodash, log4j, secret}
	findings.Sort(fs)
	return &findings.Document{
		SchemaVersion: findings.SchemaVersion,
		Tool:          findings.Tool{Name: "secgate", Version: "0.1.0-test"},
		Scans: []findings.Scan{
			{Scanner: findings.ScannerDeps, Target: ".", Kind: findings.TargetDirectory, Stats: map[string]int{"packages": 42, "files": 4}},
			{Scanner: findings.ScannerSecrets, Target: ".", Kind: findings.TargetDirectory, Stats: map[string]int{"files": 120}},
		},
		Findings: fs,
		Decision: &findings.Decision{
			Result: findings.ResultFail,
			Deny: []findings.PolicyResult{
				{Msg: "GO-2021-0113 (high) in golang.org/x/text@0.3.5 has a fix: upgrade to 0.3.7", ID: text.ID, Policy: "secgate.vulnerabilities"},
				{Msg: "GO-2021-0113 (high) in golang.org/x/text@0.3.6 has a fix: upgrade to 0.3.7", ID: tools.ID, Policy: "secgate.vulnerabilities"},
				{Msg: "GHSA-jfh8-c2jp-5v3q (critical) in org.apache.logging.log4j:log4j-core@2.14.1 (api/pom.xml:31): CVE-2021-44228 is in CISA KEV (known exploited, added 2021-12-10); fixed in 2.15.0", ID: log4j.ID, Policy: "secgate.vulnerabilities"},
				{Msg: "secret found: AWS access key ID", ID: secret.ID, Policy: "secgate.secrets"},
				{Msg: "3 findings are denied; at most 0 are allowed", Policy: "secgate.limits"},
				{Msg: "the secret scan did not cover the git history", Policy: "acme.coverage", Rule: &findings.RuleMeta{
					ID:          "ACME-001",
					Title:       "Secret scanning must cover the git history",
					Description: "Credentials committed and later removed stay in the git history; every CI scan must include it.",
					Severity:    "high",
					Remediation: "Run secgate scan with --history.",
				}, Location: &findings.FileLine{Path: "policies/coverage.rego", Line: 9}},
			},
			Warn: []findings.PolicyResult{
				{Msg: "GHSA-0000-0000-0001 in left-pad@1.0.0 has no fix", ID: leftpad.ID, Policy: "secgate.vulnerabilities"},
				{Msg: "1 finding has an unknown severity", Policy: "secgate.limits"},
			},
			Waived: []findings.PolicyResult{
				{Msg: "GHSA-jf85-cpcp-j695 (critical) in lodash@4.17.11 has a fix: upgrade to 4.17.12", ID: lodash.ID, Policy: "secgate.vulnerabilities"},
			},
		},
	}
}

// sampleImageDocument is sampleDocument with an image scanned as well, for
// the container scanning report's golden file: an OS package vulnerability
// (denied), a language package's in a layer scanned with its Dockerfile
// (warn), a secret and a misconfiguration of the image (in no container
// scanning report).
func sampleImageDocument() *findings.Document {
	doc := sampleDocument()
	const ref = "registry.example.com/shop/web:1.4"
	base := &findings.Layer{Index: 0, DiffID: "sha256:" + strings.Repeat("a", 64), Command: "ADD rootfs.tar / # buildkit"}
	app := &findings.Layer{Index: 2, DiffID: "sha256:" + strings.Repeat("c", 64), Command: "COPY app /app # buildkit"}
	openssl := findings.Finding{
		ID:       findings.Fingerprint("container", "DSA-5532-1", "/var/lib/dpkg/status", "Debian:12", "openssl", "3.0.11-1~deb12u1"),
		Kind:     findings.KindVulnerability,
		Scanner:  findings.ScannerContainer,
		RuleID:   "DSA-5532-1",
		Title:    "openssl - security update",
		Severity: findings.SeverityHigh,
		CVSS:     &findings.CVSS{Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
		Location: findings.Location{Target: ref, Path: "var/lib/dpkg/status"},
		Image:    &findings.Image{Ref: ref, Path: "/var/lib/dpkg/status", Layer: base},
		Package:  &findings.Package{Name: "openssl", Version: "3.0.11-1~deb12u1", Ecosystem: "Debian:12"},
		Vulnerability: &findings.Vulnerability{
			ID:            "DSA-5532-1",
			Aliases:       []string{"CVE-2023-5363"},
			Summary:       "openssl - security update",
			FixedVersions: []string{"3.0.11-1~deb12u2"},
			References:    []string{"https://www.debian.org/security/2023/dsa-5532"},
		},
		Decision: findings.DecisionDeny,
	}
	express := findings.Finding{
		ID:       findings.Fingerprint("container", "GHSA-rv95-896h-c2vc", "/app/package-lock.json", "npm", "express", "4.17.1"),
		Kind:     findings.KindVulnerability,
		Scanner:  findings.ScannerContainer,
		RuleID:   "GHSA-rv95-896h-c2vc",
		Title:    "Express.js Open Redirect in malformed URLs",
		Severity: findings.SeverityMedium,
		Location: findings.Location{Target: ref, Path: "app/package-lock.json", Dockerfile: &findings.FileLine{Path: "Dockerfile", Line: 4}},
		Image:    &findings.Image{Ref: ref, Path: "/app/package-lock.json", Layer: app},
		Package:  &findings.Package{Name: "express", Version: "4.17.1", Ecosystem: "npm"},
		Vulnerability: &findings.Vulnerability{
			ID:            "GHSA-rv95-896h-c2vc",
			Aliases:       []string{"CVE-2024-29041"},
			Summary:       "Express.js Open Redirect in malformed URLs",
			FixedVersions: []string{"4.19.2"},
		},
		Decision: findings.DecisionWarn,
	}
	key := findings.Finding{
		ID:       findings.Fingerprint("container", "private-key", "/root/.ssh/id_rsa"),
		Kind:     findings.KindSecret,
		Scanner:  findings.ScannerContainer,
		RuleID:   "private-key",
		Title:    "Private Key",
		Severity: findings.SeverityCritical,
		Location: findings.Location{Target: ref, Path: "root/.ssh/id_rsa", Line: 1},
		Image:    &findings.Image{Ref: ref, Path: "/root/.ssh/id_rsa", Layer: app},
		Secret:   &findings.Secret{Redacted: "-----BEGIN…", Confidence: "high"},
		Decision: findings.DecisionDeny,
	}
	root := findings.Finding{
		ID:       findings.Fingerprint("container", "image-runs-as-root"),
		Kind:     findings.KindMisconfiguration,
		Scanner:  findings.ScannerContainer,
		RuleID:   "image-runs-as-root",
		Title:    "The image runs as root",
		Severity: findings.SeverityMedium,
		Location: findings.Location{Target: ref},
		Image:    &findings.Image{Ref: ref},
		Decision: findings.DecisionWarn,
	}
	doc.Scans = append(doc.Scans, findings.Scan{Scanner: findings.ScannerContainer, Target: ref, Kind: findings.TargetImage, Stats: map[string]int{"packages": 97, "layers": 3}})
	doc.Findings = append(doc.Findings, openssl, express, key, root)
	findings.Sort(doc.Findings)
	d := doc.Decision
	d.Deny = append(d.Deny,
		findings.PolicyResult{Msg: "DSA-5532-1 (high) in openssl@3.0.11-1~deb12u1 has a fix: upgrade to 3.0.11-1~deb12u2", ID: openssl.ID, Policy: "secgate.vulnerabilities"},
		findings.PolicyResult{Msg: "secret found: Private Key", ID: key.ID, Policy: "secgate.secrets"})
	d.Warn = append(d.Warn,
		findings.PolicyResult{Msg: "GHSA-rv95-896h-c2vc (medium) in express@4.17.1 has a fix: upgrade to 4.19.2", ID: express.ID, Policy: "secgate.vulnerabilities"},
		findings.PolicyResult{Msg: "the image runs as root", ID: root.ID, Policy: "secgate.container"})
	return doc
}

// shuffled returns a copy of doc with its findings, scans and policy results
// in a random (seeded) order.
func shuffled(doc *findings.Document, seed uint64) *findings.Document {
	r := rand.New(rand.NewPCG(seed, seed))
	out := *doc
	out.Findings = append([]findings.Finding(nil), doc.Findings...)
	r.Shuffle(len(out.Findings), func(i, j int) { out.Findings[i], out.Findings[j] = out.Findings[j], out.Findings[i] })
	out.Scans = append([]findings.Scan(nil), doc.Scans...)
	r.Shuffle(len(out.Scans), func(i, j int) { out.Scans[i], out.Scans[j] = out.Scans[j], out.Scans[i] })
	if doc.Decision != nil {
		d := *doc.Decision
		d.Deny = append([]findings.PolicyResult(nil), d.Deny...)
		r.Shuffle(len(d.Deny), func(i, j int) { d.Deny[i], d.Deny[j] = d.Deny[j], d.Deny[i] })
		d.Warn = append([]findings.PolicyResult(nil), d.Warn...)
		r.Shuffle(len(d.Warn), func(i, j int) { d.Warn[i], d.Warn[j] = d.Warn[j], d.Warn[i] })
		d.Waived = append([]findings.PolicyResult(nil), d.Waived...)
		r.Shuffle(len(d.Waived), func(i, j int) { d.Waived[i], d.Waived[j] = d.Waived[j], d.Waived[i] })
		out.Decision = &d
	}
	return &out
}

// render writes doc in format with opts.
func render(t testing.TB, format string, opts Options, doc *findings.Document) []byte {
	t.Helper()
	o, err := New(format, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := o.Output(&buf, doc); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.Bytes()
}

// checkGolden compares got with testdata/name byte for byte, or rewrites the
// file with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; if the change is intended, run: go test ./report -update\n--- got ---\n%s", path, got)
	}
}
