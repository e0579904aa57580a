package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/imagetest"
	"github.com/secgate/secgate/internal/reachtest"
)

// noNetwork is an environment whose every HTTP(S) request, from secgate
// (the OSV API included) or from the go command that govulncheck runs, goes
// to a loopback proxy that refuses it and records it: the test then fails
// on requests().
func noNetwork(t *testing.T) (env []string, requests func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Host+r.URL.Path)
		mu.Unlock()
		http.Error(w, "no network in tests", http.StatusBadGateway)
	}))
	t.Cleanup(proxy.Close)
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		env = append(env, k+"="+proxy.URL)
	}
	env = append(env, "NO_PROXY=", "no_proxy=", "SECGATE_OSV_API="+proxy.URL)
	return env, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// TestReachability is the Go reachability acceptance case: two real
// programs built against golang.org/x/text v0.3.5, one calling
// language.ParseAcceptLanguage, one using only language.English, scanned
// offline as source, as binaries in a directory and in an image. The
// first's GO-2021-0113 and GO-2022-1059 are called, with a trace in source
// mode, and it fails the gate; the second's are imported, and it passes.
func TestReachability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and analyzes Go programs")
	}
	root := t.TempDir()
	src := map[string]string{}
	bins := map[string]string{}
	var layerFiles []imagetest.File
	for _, p := range []string{"accept", "english"} {
		src[p] = reachtest.ModuleIn(t, root, p)
		bin := reachtest.Build(t, src[p])
		body, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		bins[p] = filepath.Join(root, "bin-"+p)
		if err := os.MkdirAll(filepath.Join(bins[p], "usr", "local", "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bins[p], "usr", "local", "bin", p), body, 0o755); err != nil {
			t.Fatal(err)
		}
		layerFiles = append(layerFiles, imagetest.File{Name: "usr/local/bin/" + p, Body: body, Mode: 0o755})
	}
	archive := imagetest.WriteArchive(t, imagetest.Image(t, imagetest.Config{}, imagetest.Layer(t, layerFiles)), root)
	env, requests := noNetwork(t)
	db := reachtest.OfflineDB(t)

	type want struct {
		path   string // the finding's image path, or "" for go.mod
		status string
	}
	tests := []struct {
		name string
		args []string
		code int
		mode string
		want []want
	}{
		{"calling program, source", []string{src["accept"]}, exitDenied, findings.ReachSource, []want{{"", findings.ReachCalled}}},
		{"importing program, source", []string{src["english"]}, exitPass, findings.ReachSource, []want{{"", findings.ReachImported}}},
		{"calling program, binary in a directory", []string{"--image", "dir:" + bins["accept"]}, exitDenied, findings.ReachBinary, []want{{"/usr/local/bin/accept", findings.ReachCalled}}},
		{"importing program, binary in a directory", []string{"--image", "dir:" + bins["english"]}, exitPass, findings.ReachBinary, []want{{"/usr/local/bin/english", findings.ReachImported}}},
		{"both binaries in an image", []string{"--image", "docker-archive:" + archive}, exitDenied, findings.ReachBinary, []want{
			{"/usr/local/bin/accept", findings.ReachCalled}, {"/usr/local/bin/english", findings.ReachImported},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"scan", "--offline-db", db, "--scanners", "deps,container", "-f", "json"}, tc.args...)
			r := secgateChild(t, childOptions{env: env}, args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.code, r.stderr)
			}
			doc := decode(t, r.stdout)
			got := map[want][]string{} // advisories by place and status
			for _, f := range doc.Findings {
				if f.Kind != findings.KindVulnerability {
					continue
				}
				rc := f.Reachability
				if rc == nil {
					t.Fatalf("%s: no reachability", f.RuleID)
				}
				if rc.Mode != tc.mode {
					t.Errorf("%s: mode %q, want %q", f.RuleID, rc.Mode, tc.mode)
				}
				path := ""
				if f.Image != nil {
					path = f.Image.Path
				}
				got[want{path, rc.Status}] = append(got[want{path, rc.Status}], f.RuleID)
				switch {
				case rc.Status == findings.ReachCalled && tc.mode == findings.ReachSource:
					if len(rc.Trace) < 2 || rc.Trace[0] != "accept.main" || rc.Trace[len(rc.Trace)-1] != "language.ParseAcceptLanguage" {
						t.Errorf("%s: trace %q, want accept.main … language.ParseAcceptLanguage", f.RuleID, rc.Trace)
					}
				case rc.Status == findings.ReachCalled:
					if !slices.Contains(rc.Symbols, "language.ParseAcceptLanguage") {
						t.Errorf("%s: symbols %q, want language.ParseAcceptLanguage", f.RuleID, rc.Symbols)
					}
				}
				if rc.Status == findings.ReachImported {
					if f.Decision != findings.DecisionWarn {
						t.Errorf("%s: %s, want warn", f.RuleID, f.Decision)
					}
				}
			}
			for _, w := range tc.want {
				ids := got[w]
				slices.Sort(ids)
				if !slices.Equal(ids, []string{"GO-2021-0113", "GO-2022-1059"}) {
					t.Errorf("%+v: %q, want GO-2021-0113 and GO-2022-1059 (all: %v)", w, ids, got)
				}
			}
			if tc.code == exitPass && !strings.Contains(r.stderr, "no vulnerable symbol is called") {
				t.Errorf("stderr does not say why the findings only warn:\n%s", r.stderr)
			}
		})
	}
	if reqs := requests(); len(reqs) > 0 {
		t.Errorf("offline scans made network requests: %q", reqs)
	}

	// An OpenVEX not_affected statement for GO-2021-0113 on the calling
	// program (its module, golang.org/x/text as subcomponent), against the
	// database that holds only that advisory: waived, exit 0, the
	// justification in the JSON and as a SARIF suppression; the same
	// statement about another program changes nothing.
	for _, tc := range []struct {
		product string
		code    int
	}{{"pkg:golang/example.com/accept", exitPass}, {"pkg:golang/example.com/other", exitDenied}} {
		doc := `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/accept", "author": "accept team",
  "timestamp": "2024-06-04T10:00:00Z", "version": 1, "statements": [{"vulnerability": {"name": "GO-2021-0113"},
  "products": [{"@id": "` + tc.product + `", "subcomponents": [{"@id": "pkg:golang/golang.org/x/text@v0.3.5"}]}],
  "status": "not_affected", "justification": "vulnerable_code_cannot_be_controlled_by_adversary",
  "impact_statement": "only our proxy sets Accept-Language"}]}`
		vexFile := filepath.Join(t.TempDir(), "accept.openvex.json")
		write(t, vexFile, doc)
		sarifFile, jsonFile := filepath.Join(t.TempDir(), "r.sarif"), filepath.Join(t.TempDir(), "r.json")
		r := secgateChild(t, childOptions{env: env}, "scan", "--offline-db", absOfflineDB(t), "--scanners", "deps", "--vex", vexFile, "-f", "json", "-f", "sarif", "-o", jsonFile, "-o", sarifFile, src["accept"])
		if r.code != tc.code {
			t.Fatalf("VEX on %s: exit %d, want %d\n%s", tc.product, r.code, tc.code, r.stderr)
		}
		report, err := os.ReadFile(jsonFile)
		if err != nil {
			t.Fatal(err)
		}
		f := decode(t, string(report)).Findings[0]
		sarif, err := os.ReadFile(sarifFile)
		if err != nil {
			t.Fatal(err)
		}
		suppressed := strings.Contains(string(sarif), `"justification": "VEX not_affected`) || strings.Contains(string(sarif), "vulnerable_code_cannot_be_controlled_by_adversary")
		if tc.code == exitPass {
			if f.Decision != findings.DecisionWaived || f.VEX == nil || f.VEX.Justification != "vulnerable_code_cannot_be_controlled_by_adversary" || !suppressed {
				t.Errorf("VEX on the program: decision %s, vex %+v, SARIF suppression %v", f.Decision, f.VEX, suppressed)
			}
			if f.Reachability == nil || f.Reachability.Status != findings.ReachCalled {
				t.Errorf("the waived finding lost its analysis: %+v", f.Reachability)
			}
		} else if f.Decision != findings.DecisionDeny || f.VEX != nil || suppressed {
			t.Errorf("VEX on another program: decision %s, vex %+v, SARIF suppression %v", f.Decision, f.VEX, suppressed)
		}
	}

	// --reachability=off: the findings carry no analysis and are denied.
	r := secgateChild(t, childOptions{env: env}, "scan", "--offline-db", db, "--scanners", "deps", "--reachability=off", "-f", "json", src["english"])
	if r.code != exitDenied {
		t.Fatalf("--reachability=off: exit %d, want %d\n%s", r.code, exitDenied, r.stderr)
	}
	for _, f := range decode(t, r.stdout).Findings {
		if f.Reachability != nil {
			t.Errorf("--reachability=off: %s has %+v", f.RuleID, f.Reachability)
		}
	}
}
