package main

import "errors"

// Exit codes, documented in docs/exit-codes.md and in `secgate --help`.
const (
	exitPass   = 0 // the gate passed (possibly with warnings)
	exitDenied = 1 // the policy denied: an expected outcome, not an error
	exitError  = 2 // secgate could not decide: bad input, broken policy, missing data
)

// errDenied is returned by a command whose gate the policy denied.
var errDenied = errors.New("policy denied")

// errChecksFailed is returned by policy test, check and fmt (without
// --write) when a check failed: exit code 1, like a denied gate.
var errChecksFailed = errors.New("checks failed")

// exitCodes is the exit-code table: the errors that are an outcome rather
// than a failure. Every other error means the gate could not decide.
var exitCodes = []struct {
	err  error
	code int
}{
	{errDenied, exitDenied},
	{errChecksFailed, exitDenied},
}

// exitCode is the exit code of a command that returned err.
func exitCode(err error) int {
	if err == nil {
		return exitPass
	}
	for _, e := range exitCodes {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return exitError
}
