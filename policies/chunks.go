package policies

import (
	"context"
	"maps"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/secgate/secgate/findings"
)

// chunkSize is how many findings one evaluation of decideChunked reads.
// Smaller chunks keep each evaluation's working set small and spread
// evenly over the cores; larger ones share more of the per-evaluation work
// (the rules over data and input.scans, which every chunk repeats).
const chunkSize = 2048

// waiversPackage is the package of the default waivers policy.
const waiversPackage = "secgate.waivers"

// chunkable reports whether Decide may evaluate the plan of the policies
// (see planned), in chunks of findings, and merge the results: only when
// the modules are exactly the embedded default policies, whose plan the
// tests compare with OPA's evaluator, and each of whose deny and warn
// rules, and the two waived rules (of secgate.waivers and secgate.vex),
// reads one finding at a time, or only data and
// input.scans, whose results every chunk repeats. The exception is the
// warning of secgate.waivers about a waiver that matched no finding, which
// reads across findings: decideChunked evaluates it over the whole
// document. Any other module (a team policy, a replaced secgate.waivers)
// may read across findings (count(input.findings), ...) and OPA's
// evaluator decides the document in one go.
func chunkable(modules map[string]string, policies []policyRules) bool {
	defaults, err := defaultModules()
	if err != nil || len(modules) != len(defaults) {
		return false
	}
	for name, src := range defaults {
		if modules[name] != src {
			return false
		}
	}
	for _, p := range policies {
		switch p.name {
		case "secgate.vulnerabilities", "secgate.secrets", "secgate.misconfigurations", waiversPackage:
		default:
			return false
		}
	}
	return true
}

// uniqueIDs reports whether no two findings share an id.
func uniqueIDs(fs []findings.Finding) bool {
	seen := make(map[string]struct{}, len(fs))
	for i := range fs {
		if _, dup := seen[fs[i].ID]; dup {
			return false
		}
		seen[fs[i].ID] = struct{}{}
	}
	return true
}

// decideChunked evaluates the plan's entrypoints numbered chunk over
// chunks of doc's findings (each chunk's input is doc with those findings,
// each with only the fields the default policies read: defaultsInputOf) on
// GOMAXPROCS cores, and merges
// the results in chunk order. The results of the per-finding rules over the
// whole document are the union of their results over the chunks; the
// document-level results (config errors, skipped files) are the same in
// every chunk and verdict removes the repeats. With waivers, the warn rule
// of secgate.waivers is evaluated once over the whole document.
func (p *planned) decideChunked(ctx context.Context, doc *findings.Document, chunk []int) (*rawResults, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	size := p.chunkLen
	n := (len(doc.Findings) + size - 1) / size
	parts := make([]*rawResults, n)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		docWarn  *rawResults
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	if len(p.doc) > 0 {
		wg.Go(func() {
			r, err := p.eval(ctx, doc, doc.Findings, p.doc)
			if err != nil {
				fail(err)
				return
			}
			docWarn = r
		})
	}
	workers := min(runtime.GOMAXPROCS(0), n)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				fs := doc.Findings[i*size : min((i+1)*size, len(doc.Findings))]
				r, err := p.eval(ctx, doc, fs, chunk)
				if err != nil {
					fail(err)
					return
				}
				parts[i] = r
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	out := &rawResults{waived: map[string]int{}, vexWaived: map[string]bool{}}
	var nd, nw int
	for _, p := range parts {
		nd, nw = nd+len(p.deny), nw+len(p.warn)
	}
	out.deny = make([]findings.PolicyResult, 0, nd)
	out.warn = make([]findings.PolicyResult, 0, nw)
	for _, p := range parts {
		out.deny = append(out.deny, p.deny...)
		out.warn = append(out.warn, p.warn...)
		maps.Copy(out.waived, p.waived)
		maps.Copy(out.vexWaived, p.vexWaived)
	}
	if docWarn != nil {
		out.warn = append(out.warn, docWarn.warn...)
	}
	return out, nil
}
