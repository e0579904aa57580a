package report

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/printable"
)

// junitOutputter writes JUnit XML, the test report format CI systems read
// (Jenkins, GitLab's artifacts:reports:junit, Azure Pipelines'
// PublishTestResults, GitHub test-report actions). See docs/outputs.md.
//
// <testsuites name="secgate"> holds one <testsuite name="secgate SCANNER">
// per scanner that ran or has findings, sorted by name, then, when there
// are policy results about the whole scan, <testsuite name="secgate
// policy">. Each finding is one <testcase>, in table order (deny first):
//
//   - classname SCANNER.KIND ("deps.vulnerability", "secrets.secret"), name
//     the rule id and package@version ("GO-2021-0113 golang.org/x/text@0.3.5")
//     or the rule id and the file, file and line the finding's (relative to
//     the report root) when known; names that would repeat in a
//     suite get the first 8 characters of the finding ID ("[96a9c796]");
//   - denied: <failure message="POLICY MESSAGE" type="SEVERITY"> with the
//     finding, its location, fix and policy messages as text;
//   - waived: <skipped message="waived: REASON (until DATE, owner OWNER)">;
//   - warned: passes, with the warning in <system-out>;
//   - allowed or undecided: passes.
//
// A policy result about the whole scan (or about a finding the document does
// not hold) is a testcase of the policy suite, classname "policy.PACKAGE":
// failed when it is a deny, passing with <system-out> when a warn.
//
// tests, failures, errors (always 0: a scan that fails writes no report),
// skipped and time (always 0) are set on each suite and on <testsuites>.
// There are no timestamps or host names, so the output depends only on the
// document. Text is XML-safe: characters XML 1.0 cannot hold become U+FFFD.
type junitOutputter struct {
	opts Options
}

type junitTestSuites struct {
	XMLName xml.Name `xml:"testsuites"`
	Name    string   `xml:"name,attr"`
	junitCounts
	Suites []junitTestSuite `xml:"testsuite"`
}

// junitCounts are the attributes <testsuites> and <testsuite> share.
type junitCounts struct {
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Errors   int    `xml:"errors,attr"`
	Skipped  int    `xml:"skipped,attr"`
	Time     string `xml:"time,attr"`
}

type junitTestSuite struct {
	Name string `xml:"name,attr"`
	junitCounts
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitTestCase  `xml:"testcase"`
}

type junitProperties struct {
	Properties []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`

	id string // finding ID, to tell apart cases with the same name
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// junitTime is the time attribute: secgate does not time findings, and a
// fixed value keeps the output deterministic.
const junitTime = "0"

func (o *junitOutputter) Output(w io.Writer, doc *findings.Document) error {
	if doc == nil {
		return errNilDocument
	}
	root := o.build(doc)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	buf.WriteString("\n")
	_, err := w.Write(buf.Bytes())
	return err
}

func (o *junitOutputter) build(doc *findings.Document) *junitTestSuites {
	vs := views(doc, tableSort(doc.Findings))

	// One suite per scanner that ran or has findings.
	var scanners []string
	targets := map[string][]string{}
	for _, s := range doc.Scans {
		scanners = appendNew(scanners, s.Scanner)
		targets[s.Scanner] = appendNew(targets[s.Scanner], s.Target)
	}
	for _, v := range vs {
		scanners = appendNew(scanners, cmp.Or(v.Scanner, "unknown"))
	}
	slices.Sort(scanners)
	suites := make(map[string]*junitTestSuite, len(scanners))
	root := &junitTestSuites{Name: "secgate", junitCounts: junitCounts{Time: junitTime}}
	for _, s := range scanners {
		suite := &junitTestSuite{Name: "secgate " + s, junitCounts: junitCounts{Time: junitTime}}
		if ts := targets[s]; len(ts) > 0 {
			slices.Sort(ts)
			suite.Properties = &junitProperties{}
			for _, t := range ts {
				suite.Properties.Properties = append(suite.Properties.Properties, junitProperty{Name: "target", Value: xmlSafe(t)})
			}
		}
		suites[s] = suite
	}
	for i := range vs {
		suite := suites[cmp.Or(vs[i].Scanner, "unknown")]
		suite.Cases = append(suite.Cases, findingCase(&vs[i]))
	}
	for _, s := range scanners {
		root.Suites = append(root.Suites, *suites[s])
	}
	if rs := documentLevelResults(doc); len(rs) > 0 {
		suite := junitTestSuite{Name: "secgate policy", junitCounts: junitCounts{Time: junitTime}}
		for _, r := range rs {
			suite.Cases = append(suite.Cases, policyCase(r))
		}
		root.Suites = append(root.Suites, suite)
	}

	for i := range root.Suites {
		s := &root.Suites[i]
		uniqueCaseNames(s.Cases)
		for _, c := range s.Cases {
			s.Tests++
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Skipped != nil:
				s.Skipped++
			}
		}
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Skipped += s.Skipped
	}
	return root
}

func findingCase(v *view) junitTestCase {
	f := v.Finding
	subject := v.where
	if f.Package != nil {
		subject = packageLabel(f.Package)
	}
	name := v.rule
	if subject != "" {
		name += " " + subject
	}
	c := junitTestCase{
		Name:      xmlSafe(oneLine(name)),
		Classname: xmlSafe(oneLine(cmp.Or(f.Scanner, "unknown") + "." + string(cmp.Or(f.Kind, "finding")))),
		File:      xmlSafe(v.file),
		Time:      junitTime,
		id:        findingIDOrFingerprint(v),
	}
	if v.file != "" {
		c.Line = v.line
	}

	var body strings.Builder
	fmt.Fprintf(&body, "%s\n", v.summary())
	fmt.Fprintf(&body, "Severity: %s\n", v.severity)
	if v.place != "" {
		fmt.Fprintf(&body, "Location: %s\n", oneLine(v.place))
	}
	if f.Image != nil && f.Image.Ref != "" {
		fmt.Fprintf(&body, "Image: %s\n", oneLine(f.Image.Ref))
	}
	if f.Commit != nil && f.Commit.SHA != "" {
		fmt.Fprintf(&body, "Commit: %s\n", oneLine(f.Commit.SHA))
	}
	if v := f.Vulnerability; v != nil && len(v.Aliases) > 0 {
		fmt.Fprintf(&body, "Aliases: %s\n", strings.Join(v.Aliases, ", "))
	}
	if f.Baseline != "" {
		fmt.Fprintf(&body, "Baseline: %s\n", f.Baseline)
	}
	fmt.Fprintf(&body, "Finding ID: %s\n", c.id)
	var message string
	for _, r := range v.about {
		fmt.Fprintf(&body, "Policy (%s) %s\n", r.Level, policyLine(r.PolicyResult, false))
		if message == "" && r.Level == f.Decision {
			message = oneLine(strings.TrimSpace(r.Msg))
		}
	}
	if message == "" {
		message = v.summary()
	}

	switch f.Decision {
	case findings.DecisionDeny:
		c.Failure = &junitFailure{
			Message: xmlSafe(message),
			Type:    string(severityOf(f.Severity)),
			Text:    xmlSafe(body.String()),
		}
	case findings.DecisionWaived:
		c.Skipped = &junitSkipped{Message: xmlSafe(oneLine("waived: " + waivedText(&f)))}
	case findings.DecisionWarn:
		c.SystemOut = &junitText{Text: xmlSafe("warning: " + message + "\n\n" + body.String())}
	}
	return c
}

// policyCase is the testcase of a policy result about the whole scan.
func policyCase(r levelledResult) junitTestCase {
	msg := oneLine(strings.TrimSpace(r.Msg))
	name := cmp.Or(msg, "(no message)")
	if r.ID != "" {
		name += " (finding " + r.ID + ")"
	}
	class := "policy"
	if r.Policy != "" {
		class += "." + oneLine(r.Policy)
	}
	c := junitTestCase{
		Name:      xmlSafe(name),
		Classname: xmlSafe(class),
		Time:      junitTime,
		id:        findings.Fingerprint(PolicyRuleID, r.Level, r.Policy, r.Msg, r.ID),
	}
	var body strings.Builder
	fmt.Fprintf(&body, "Policy (%s) %s\n", r.Level, policyLine(r.PolicyResult, true))
	if m := r.Rule; m != nil {
		if id := policyRuleID(m); id != "" {
			fmt.Fprintf(&body, "Rule: %s\n", oneLine(id))
		}
		if t := strings.TrimSpace(m.Title); t != "" {
			fmt.Fprintf(&body, "Title: %s\n", oneLine(t))
		}
		if d := strings.TrimSpace(m.Description); d != "" {
			fmt.Fprintf(&body, "Description: %s\n", d)
		}
	}
	switch r.Level {
	case findings.DecisionDeny:
		typ := "policy"
		if r.Rule != nil {
			if sev := metaSeverity(r.Rule.Severity); sev != "" {
				typ = string(sev)
			}
		}
		c.Failure = &junitFailure{Message: xmlSafe(cmp.Or(msg, "policy deny")), Type: typ, Text: xmlSafe(body.String())}
	case findings.DecisionWarn:
		c.SystemOut = &junitText{Text: xmlSafe("warning: " + body.String())}
	}
	return c
}

// uniqueCaseNames gives the cases of a suite distinct names: a name shared
// by several cases gets the first 8 characters of each case's ID.
func uniqueCaseNames(cases []junitTestCase) {
	count := map[string]int{}
	for _, c := range cases {
		count[c.Classname+"\x00"+c.Name]++
	}
	for i := range cases {
		if count[cases[i].Classname+"\x00"+cases[i].Name] > 1 && cases[i].id != "" {
			cases[i].Name += " [" + cases[i].id[:min(8, len(cases[i].id))] + "]"
		}
	}
}

// xmlSafe replaces the characters XML 1.0 cannot hold (control characters
// other than tab, newline and carriage return; unpaired surrogates; U+FFFE
// and U+FFFF) with U+FFFD, and CR LF with LF.
func xmlSafe(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF, printable.IsBidi(r):
			return '\uFFFD'
		}
		return r
	}, s)
}
