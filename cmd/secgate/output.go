package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/secgate/secgate/printable"
	"github.com/secgate/secgate/scanners/secrets"
)

// Every line secgate writes about input — errors that quote a file,
// warnings, the summary — passes through clean: secrets the default rules
// find are redacted (as findings never hold one) and the text is made
// printable (no control or escape sequence reaches the terminal, and no
// input begins a line, where GitHub Actions would read a workflow command).

var redactor = sync.OnceValue(func() *secrets.Redactor {
	rules, err := secrets.DefaultRules()
	if err != nil {
		return nil // built in and tested: never
	}
	return secrets.NewRedactor(rules)
})

// clean redacts and makes printable a message, keeping its line breaks as
// indented continuation lines.
func clean(msg string) string {
	return printable.Lines(redactor().Text(context.Background(), msg))
}

// warnf writes a warning line.
func warnf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "secgate: warning: %s\n", clean(fmt.Sprintf(format, args...)))
}

// say writes one line of the summary: redacted, on one line, printable.
func say(w io.Writer, format string, args ...any) {
	fmt.Fprintln(w, printable.Line(redactor().Text(context.Background(), fmt.Sprintf(format, args...))))
}
