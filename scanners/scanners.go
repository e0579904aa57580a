// Package scanners defines what a secgate scanner is: something that looks at
// one target and returns normalized findings (package findings). The
// concrete scanners live in its subpackages (deps, and later secrets and
// container); the gate runs them all and hands their findings to the policy.
package scanners

import (
	"context"

	"github.com/secgate/secgate/findings"
)

// Scanner scans one target.
type Scanner interface {
	// Name is the scanner's name as used in findings ("deps", ...).
	Name() string
	// Scan returns the findings with locations relative to the target's
	// root. An error means the scan could not be completed: the gate must
	// not decide on a partial result.
	Scan(ctx context.Context) (*Result, error)
}

// Result is what one scanner run returns.
type Result struct {
	Scan     findings.Scan
	Findings []findings.Finding
}

// Progress receives short human-readable progress messages ("matching 1,204
// packages against Go, npm"). It may be nil.
type Progress func(msg string)

// Report calls p with msg when p is set.
func (p Progress) Report(msg string) {
	if p != nil {
		p(msg)
	}
}
