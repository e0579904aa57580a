package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
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

// childRSSEnv names the file a child writes its peak resident memory to.
const childRSSEnv = "SECGATE_TEST_RSS_FILE"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		code := execute(os.Args[1:])
		if f := os.Getenv(childRSSEnv); f != "" {
			writePeakRSS(f)
		}
		os.Exit(code)
	}
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// writePeakRSS writes the process's peak resident memory (VmHWM, in KiB)
// to file. The rusage the parent gets is no use: Linux carries the
// forking parent's high-water mark into the child's across exec.
func writePeakRSS(file string) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			_ = os.WriteFile(file, []byte(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))), 0o644)
		}
	}
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
	maxRSS         int64 // bytes, as the child measured it
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
	rssFile := filepath.Join(t.TempDir(), "rss")
	cmd.Env = append(append(os.Environ(), childEnv+"=1", childRSSEnv+"="+rssFile, "GITHUB_ACTIONS=", "GOTRACEBACK=single"), o.env...)
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
	if cmd.ProcessState == nil {
		t.Fatal(err)
	}
	r.code = cmd.ProcessState.ExitCode()
	if kib, err := os.ReadFile(rssFile); err == nil {
		n, _ := strconv.ParseInt(string(kib), 10, 64)
		r.maxRSS = n << 10
	} else {
		r.maxRSS = -1 // the child did not finish: killed or crashed
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
	t.Logf("exit %d in %v, peak %d MiB", r.code, r.elapsed.Round(time.Millisecond), r.maxRSS>>20)
	for _, trace := range []string{"goroutine ", "panic:", "fatal error:", "runtime."} {
		if strings.Contains(r.stderr, trace) {
			t.Errorf("stack trace on stderr:\n%.2000s", r.stderr)
			break
		}
	}
	if r.elapsed > maxChildTime {
		t.Errorf("took %v, over %v", r.elapsed.Round(time.Millisecond), maxChildTime)
	}
	switch {
	case r.maxRSS < 0:
		t.Errorf("the child did not report its memory: it was killed or crashed")
	case r.maxRSS > maxChildRSS:
		t.Errorf("peak memory %d MiB, over %d MiB", r.maxRSS>>20, maxChildRSS>>20)
	}
}
