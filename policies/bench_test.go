package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/secgate/secgate/findings"
)

// syntheticDocument returns n findings with realistic field sizes: 80%
// vulnerabilities, 10% secrets, 10% misconfigurations, all severities.
func syntheticDocument(n int) *findings.Document {
	sevs := findings.Severities
	details := strings.Repeat("An attacker may cause a denial of service by sending crafted input. ", 5)
	fs := make([]findings.Finding, n)
	for i := range fs {
		sev := sevs[i%len(sevs)]
		path := fmt.Sprintf("services/svc-%03d/go.mod", i%500)
		id := findings.Fingerprint("bench", path, fmt.Sprint(i))
		switch {
		case i%10 == 8:
			fs[i] = findings.Finding{
				ID: id, Kind: findings.KindSecret, Scanner: findings.ScannerSecrets,
				RuleID: "aws-access-key-id", Title: "AWS access key ID", Severity: findings.SeverityHigh,
				Location: findings.Location{Target: ".", Path: fmt.Sprintf("services/svc-%03d/config/prod.env", i%500), Line: i%200 + 1},
			}
		case i%10 == 9:
			fs[i] = findings.Finding{
				ID: id, Kind: findings.KindMisconfiguration, Scanner: findings.ScannerContainer,
				RuleID: "DS002", Title: "Image user should not be 'root'", Severity: sev,
				Location: findings.Location{Target: ".", Path: fmt.Sprintf("services/svc-%03d/Dockerfile", i%500), Line: 1},
			}
		default:
			adv := fmt.Sprintf("GO-2024-%04d", i%3000)
			fixed := []string{fmt.Sprintf("0.%d.%d", i%40, i%7+1)}
			if i%7 == 0 {
				fixed = nil
			}
			fs[i] = findings.Finding{
				ID: id, Kind: findings.KindVulnerability, Scanner: findings.ScannerDeps,
				RuleID: adv, Title: "Excessive memory allocation while parsing crafted documents in golang.org/x/net/html",
				Severity: sev,
				CVSS:     &findings.CVSS{Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
				Location: findings.Location{Target: ".", Path: path, Line: i%80 + 3},
				Package: &findings.Package{
					Name: fmt.Sprintf("github.com/example-org/module-%d", i%700), Version: fmt.Sprintf("v1.%d.%d", i%30, i%9),
					Ecosystem: "Go", PURL: fmt.Sprintf("pkg:golang/github.com/example-org/module-%d@v1.%d.%d", i%700, i%30, i%9),
				},
				Vulnerability: &findings.Vulnerability{
					ID:            adv,
					Aliases:       []string{fmt.Sprintf("CVE-2024-%05d", i%90000), fmt.Sprintf("GHSA-%04x-%04x-%04x", i%65536, (i*7)%65536, (i*13)%65536)},
					Summary:       "Excessive memory allocation in golang.org/x/net/html",
					Details:       details,
					FixedVersions: fixed,
					References: []string{
						"https://go.dev/issue/" + fmt.Sprint(60000+i%5000),
						"https://pkg.go.dev/vuln/" + adv,
						"https://nvd.nist.gov/vuln/detail/" + fmt.Sprintf("CVE-2024-%05d", i%90000),
					},
					Published: "2024-03-05T15:18:00Z",
					Modified:  "2024-06-01T10:00:00Z",
				},
			}
		}
	}
	return &findings.Document{
		SchemaVersion: findings.SchemaVersion,
		Tool:          findings.Tool{Name: "secgate", Version: "bench"},
		Scans:         []findings.Scan{{Scanner: "deps", Target: ".", Stats: map[string]int{"packages": 700}}},
		Findings:      fs,
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakHeap samples the heap (live and not yet collected objects) every
// millisecond until stop is called, which returns the highest value seen.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	var (
		peak uint64
		wg   sync.WaitGroup
	)
	done := make(chan struct{})
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, read())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return max(peak, read())
	}
}

// BenchmarkDecide is one Decide over 100,000 findings: the gate's design
// point (under 1 s and 500 MB). The default policies are evaluated from
// their plan, in chunks of findings on GOMAXPROCS cores.
func BenchmarkDecide(b *testing.B) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchDecide(b, e)
}

// BenchmarkDecideOneEvaluation is BenchmarkDecide in one evaluation over the
// whole document by OPA's evaluator, as Decide runs with policies that may
// read across findings (and as it ran for every policy before the plan).
func BenchmarkDecideOneEvaluation(b *testing.B) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchDecide(b, oneEvaluation(e))
}

// BenchmarkDecideVEX is BenchmarkDecide with a VEX statement on every
// tenth finding (half of them not_affected): secgate.vex.waived is
// evaluated in every chunk.
func BenchmarkDecideVEX(b *testing.B) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchDecideDoc(b, e, withVEXStatements(syntheticDocument(100_000)))
}

// withVEXStatements gives every tenth finding of doc a VEX statement,
// not_affected or affected in turn.
func withVEXStatements(doc *findings.Document) *findings.Document {
	for i := range doc.Findings {
		if i%10 == 3 {
			status := findings.VEXNotAffected
			if i%20 == 13 {
				status = findings.VEXAffected
			}
			doc.Findings[i].VEX = &findings.VEX{Status: status, Source: ".vex/app.json"}
		}
	}
	return doc
}

func benchDecide(b *testing.B, e *Engine) {
	benchDecideDoc(b, e, syntheticDocument(100_000))
}

func benchDecideDoc(b *testing.B, e *Engine, doc *findings.Document) {
	ctx := context.Background()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	stop := peakHeap()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Decide(ctx, doc); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// CPU time (user and system, all threads) per decision: on shared
	// machines less noisy than the wall time, and what cores buy back.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	// The document itself (findings.Document, before any input is built)
	// is doc-heap-MB; peak-heap-MB includes it.
	b.ReportMetric(float64(before.HeapAlloc)/(1<<20), "doc-heap-MB")
	b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(doc.Findings)), "ns/finding")
}

// BenchmarkDecidePerFinding is the baseline the one-evaluation design beats:
// one evaluation per finding, over 2,000 findings. Compare ns/finding with
// BenchmarkDecide's.
func BenchmarkDecidePerFinding(b *testing.B) {
	const n = 2_000
	ctx := context.Background()
	e, err := New(ctx, Options{})
	if err != nil {
		b.Fatal(err)
	}
	doc := syntheticDocument(n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, f := range doc.Findings {
			one := &findings.Document{SchemaVersion: doc.SchemaVersion, Tool: doc.Tool, Scans: doc.Scans, Findings: []findings.Finding{f}}
			if _, err := e.Decide(ctx, one); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(doc.Findings)), "ns/finding")
}

// BenchmarkInput compares ways to turn 100,000 findings into the policy
// input: building the AST directly (what Decide does) and a JSON round trip
// through ast.InterfaceToValue.
func BenchmarkInput(b *testing.B) {
	doc := syntheticDocument(100_000)
	b.Run("ast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = inputValue(doc)
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			data, err := json.Marshal(doc)
			if err != nil {
				b.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
			if _, err := ast.InterfaceToValue(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
