package vex

import (
	"fmt"
	"testing"
	"time"

	"github.com/secgate/secgate/findings"
)

// BenchmarkApply: matching 10,000 statements (one per advisory, about
// its package without a version) to 100,000 vulnerability findings, every
// tenth of which has one.
func BenchmarkApply(b *testing.B) {
	const nf, ns = 100_000, 10_000
	s := &Set{byVuln: map[string][]*Statement{}}
	stmts := make([]Statement, ns)
	for i := range stmts {
		p, err := newProduct([]string{fmt.Sprintf("pkg:golang/github.com/example-org/module-%d", i)}, nil)
		if err != nil {
			b.Fatal(err)
		}
		stmts[i] = Statement{Vulnerabilities: []string{fmt.Sprintf("GO-2024-%05d", i*10)}, Status: findings.VEXNotAffected,
			Time: time.Unix(int64(i), 0), Source: "v.json", products: []product{p}}
	}
	s.add(0, stmts)
	doc := &findings.Document{Findings: make([]findings.Finding, nf)}
	for i := range doc.Findings {
		doc.Findings[i] = findings.Finding{
			ID: fmt.Sprint(i), Kind: findings.KindVulnerability, RuleID: fmt.Sprintf("GO-2024-%05d", i),
			Package:       &findings.Package{Name: fmt.Sprintf("github.com/example-org/module-%d", i/10), PURL: fmt.Sprintf("pkg:golang/github.com/example-org/module-%d@v1.2.%d", i/10, i%9)},
			Vulnerability: &findings.Vulnerability{ID: fmt.Sprintf("GO-2024-%05d", i), Aliases: []string{fmt.Sprintf("CVE-2024-%05d", i)}},
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if n := s.Apply(doc, nil); n != ns {
			b.Fatalf("%d findings have a statement, want %d", n, ns)
		}
	}
}
