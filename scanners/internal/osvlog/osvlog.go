// Package osvlog owns the process-wide loggers of osv-scanner and
// osv-scalibr, which both libraries keep in package variables
// (osvscanner.SetLogger sets both). Scanners that call into them take the
// lock with Run, which routes their log records to a handler of the
// caller's (or discards them) and restores silence afterwards: the
// libraries never write to secgate's stderr.
package osvlog

import (
	"context"
	"log/slog"
	"sync"

	"github.com/google/osv-scanner/v2/pkg/osvscanner"
)

var mu sync.Mutex

// Run calls fn with the libraries logging to h (discarded when nil), one
// caller at a time.
func Run(h slog.Handler, fn func()) {
	mu.Lock()
	defer mu.Unlock()
	if h == nil {
		h = discard{}
	}
	osvscanner.SetLogger(h)
	defer osvscanner.SetLogger(discard{})
	fn()
}

type discard struct{}

func (discard) Enabled(context.Context, slog.Level) bool  { return false }
func (discard) Handle(context.Context, slog.Record) error { return nil }
func (d discard) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discard) WithGroup(string) slog.Handler           { return d }
