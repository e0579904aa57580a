package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childEnv, set in the environment, makes the test binary run the command
// line as the secgate process (TestMain), so that tests can run secgate in
// a child process: under a memory limit, with its time and peak memory
// measured, and sent signals.
const childEnv = "SECGATE_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(execute(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// The bounds every hostile input must stay within.
const (
	maxChildTime = 10 * time.Second // "a few seconds", with room for a loaded CI machine
	maxChildRSS  = 500 << 20        // peak resident memory
	childAS      = 4 << 30          // address-space limit: a runaway allocation fails
)

type childResult struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
	maxRSS         int64 // bytes
}

type childOptions struct {
	dir     string
	env     []string
	signal  syscall.Signal // sent after signalAfter, when set
	after   time.Duration
	timeout time.Duration // killed after; maxChildTime when zero
}

// secgateChild runs secgate in a child process under an address-space
// limit and returns what it did. A child still running after the timeout
// is killed (the test then fails on its exit code and time).
func secgateChild(t *testing.T, o childOptions, args ...string) childResult {
	t.Helper()
	if o.timeout == 0 {
		o.timeout = maxChildTime + 5*time.Second
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// ulimit -v (KiB) in a shell that execs the child: the limit applies
	// to the secgate process itself, whose rusage is then the child's.
	script := `ulimit -v ` + strconv.Itoa(childAS>>10) + ` && exec "$0" "$@"`
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, self}, args...)...)
	cmd.Dir = o.dir
	cmd.Env = append(append(os.Environ(), childEnv+"=1", "GITHUB_ACTIONS=", "GOTRACEBACK=single"), o.env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if o.signal != 0 {
		time.AfterFunc(o.after, func() { _ = cmd.Process.Signal(o.signal) })
	}
	killer := time.AfterFunc(o.timeout, func() { _ = cmd.Process.Kill() })
	err = cmd.Wait()
	killer.Stop()
	r := childResult{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	if cmd.ProcessState != nil {
		r.code = cmd.ProcessState.ExitCode()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.maxRSS = ru.Maxrss << 10 // KiB on Linux
		}
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkRefused asserts the documented outcome for a hostile input: exit 2,
// an error naming the input (every one of want), no stack trace, within
// the time and memory bounds.
func checkRefused(t *testing.T, r childResult, want ...string) {
	t.Helper()
	if r.code != exitError {
		t.Errorf("exit %d, want 2\nstderr: %.2000s", r.code, r.stderr)
	}
	checkBounded(t, r)
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr does not name %q:\n%.2000s", w, r.stderr)
		}
	}
	if r.stdout != "" {
		t.Errorf("a report was written although the gate could not decide:\n%.500s", r.stdout)
	}
}

// checkBounded asserts no stack trace, time and peak memory within bounds.
func checkBounded(t *testing.T, r childResult) {
	t.Helper()
	for _, trace := range []string{"goroutine ", "panic:", "fatal error:", "runtime."} {
		if strings.Contains(r.stderr, trace) {
			t.Errorf("stack trace on stderr:\n%.2000s", r.stderr)
			break
		}
	}
	if r.elapsed > maxChildTime {
		t.Errorf("took %v, over %v", r.elapsed.Round(time.Millisecond), maxChildTime)
	}
	if r.maxRSS > maxChildRSS {
		t.Errorf("peak memory %d MiB, over %d MiB", r.maxRSS>>20, maxChildRSS>>20)
	}
}
