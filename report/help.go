package report

import (
	"embed"
	"strings"
	"text/template"

	"github.com/secgate/secgate/findings"
)

// The help text of SARIF rules is in templates (help/), not in code: what
// a rule's help says is read and changed there. The markdown templates
// escape what is not markdown already with md, cell, code and link.
//
//go:embed help/*.tmpl help/scan.txt
var helpFS embed.FS

var helpTemplates = template.Must(template.New("help").Funcs(template.FuncMap{
	"md":   mdEscape,
	"cell": mdCell,
	"link": mdLink,
	"code": func(s string) string { return strings.ReplaceAll(s, "`", "") },
	"join": strings.Join,
}).ParseFS(helpFS, "help/*.tmpl"))

// scanRuleHelp is the help of the rule of results about the whole scan.
var scanRuleHelp = func() string {
	b, err := helpFS.ReadFile("help/scan.txt")
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(b))
}()

// findingHelp is what the help of a finding rule shows.
type findingHelp struct {
	ID, Short, Details string
	Severity           findings.Severity
	CVSS               *findings.CVSS
	KEV                *findings.KEV
	EPSS               *findings.EPSS
	Packages           []pkgRow
	Reach              bool // some package row has a Reach
	More               int  // packages not listed
	Aliases            []string
	References         []string
}

// policyHelp is what the help of a policy rule with METADATA shows.
type policyHelp struct {
	Short, Description, Remediation string
	Severity                        findings.Severity
}

// help renders the text and markdown templates of name (finding or
// policy) for data.
func help(name string, data any) (text, markdown string) {
	var t, m strings.Builder
	// The templates are the program's own and their data is typed: an
	// error here is a bug, caught by every test that renders SARIF.
	if err := helpTemplates.ExecuteTemplate(&t, name+".txt.tmpl", data); err != nil {
		panic(err)
	}
	if err := helpTemplates.ExecuteTemplate(&m, name+".md.tmpl", data); err != nil {
		panic(err)
	}
	return strings.TrimRight(t.String(), "\n"), strings.TrimRight(m.String(), "\n")
}
