package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/imagetest"
	"github.com/secgate/secgate/internal/schematest"
)

var (
	vexData = filepath.Join(repoRoot, "testdata", "vex")
	vexApp  = filepath.Join(vexData, "app")
)

// vexSARIF is what the tests read of a SARIF log: each result's rule,
// level and suppressions.
type vexSARIF struct {
	Runs []struct {
		Results []struct {
			RuleID       string `json:"ruleId"`
			Level        string `json:"level"`
			Suppressions []struct {
				Kind, Status, Justification string
				Properties                  map[string]string
			} `json:"suppressions"`
		} `json:"results"`
	} `json:"runs"`
}

// TestScanVEX: secgate scan --vex on the Go module of testdata/vex, whose
// golang.org/x/text v0.3.5 has GO-2021-0113 (high, denied without VEX):
// an OpenVEX not_affected statement on the package waives the finding (exit
// 0; the statement in the JSON report and as a SARIF suppression, both
// valid against their schemas); a statement about another product changes
// nothing (exit 1); one naming an alias (the CVE) waives it too; so does
// the CycloneDX equivalent; a later affected statement wins.
func TestScanVEX(t *testing.T) {
	tests := []struct {
		name          string
		vex           []string
		code          int
		status        string
		justification string
		source        string
	}{
		{"OpenVEX not_affected", []string{"not-affected.openvex.json"}, exitPass, "not_affected", "vulnerable_code_not_in_execute_path", "testdata/vex/not-affected.openvex.json"},
		{"another product", []string{"other-product.openvex.json"}, exitDenied, "", "", ""},
		{"the program, the package as subcomponent", []string{"program.openvex.json"}, exitPass, "not_affected", "vulnerable_code_cannot_be_controlled_by_adversary", "testdata/vex/program.openvex.json"},
		{"another program, the package as subcomponent", []string{"other-program.openvex.json"}, exitDenied, "", "", ""},
		{"by alias", []string{"alias.openvex.json"}, exitPass, "not_affected", "vulnerable_code_not_in_execute_path", "testdata/vex/alias.openvex.json"},
		{"CycloneDX", []string{"not-affected.cdx.vex.json"}, exitPass, "not_affected", "vulnerable_code_not_in_execute_path", "testdata/vex/not-affected.cdx.vex.json"},
		{"later affected", []string{"not-affected.openvex.json", "affected-later.openvex.json"}, exitDenied, "affected", "", "testdata/vex/affected-later.openvex.json"},
	}
	sarifSchema := schematest.SARIF(t, repoRoot)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"scan", "--offline-db", offlineDB}
			for _, v := range tt.vex {
				args = append(args, "--vex", filepath.Join(vexData, v))
			}
			jsonOut := filepath.Join(t.TempDir(), "r.json")
			r := secgate(t, append(args, "-f", "json", "-o", jsonOut, "-f", "sarif", vexApp)...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", r.code, tt.code, r.stderr)
			}
			data, err := os.ReadFile(jsonOut)
			if err != nil {
				t.Fatal(err)
			}
			schematest.Validate(t, schematest.Findings(t), data)
			doc := decode(t, string(data))
			if len(doc.Findings) != 1 || doc.Findings[0].RuleID != "GO-2021-0113" {
				t.Fatalf("findings %+v, want GO-2021-0113", doc.Findings)
			}
			f := doc.Findings[0]
			schematest.Validate(t, sarifSchema, []byte(r.stdout))
			var log vexSARIF
			if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
				t.Fatal(err)
			}
			res := log.Runs[0].Results
			if len(res) != 1 {
				t.Fatalf("SARIF results %+v", res)
			}
			if tt.status == "" {
				if f.VEX != nil || f.Decision != findings.DecisionDeny || len(res[0].Suppressions) != 0 {
					t.Errorf("finding %s with VEX %+v, suppressions %+v: want it denied as without VEX", f.Decision, f.VEX, res[0].Suppressions)
				}
				return
			}
			if f.VEX == nil || f.VEX.Status != tt.status || f.VEX.Justification != tt.justification || f.VEX.Source != tt.source || f.VEX.Statement == "" {
				t.Fatalf("VEX %+v, want %s %s from %s with its statement", f.VEX, tt.status, tt.justification, tt.source)
			}
			if tt.code == exitDenied {
				if f.Decision != findings.DecisionDeny || len(res[0].Suppressions) != 0 {
					t.Errorf("%s: decision %s, suppressions %+v", tt.status, f.Decision, res[0].Suppressions)
				}
				return
			}
			if f.Decision != findings.DecisionWaived || f.Waiver != nil || doc.Decision.Result != findings.ResultPass || len(doc.Decision.Waived) != 1 {
				t.Errorf("decision %s (waiver %+v), document %+v: want waived by VEX", f.Decision, f.Waiver, doc.Decision)
			}
			s := res[0].Suppressions
			if res[0].Level != "note" || len(s) != 1 || s[0].Kind != "external" || s[0].Status != "accepted" ||
				s[0].Justification != tt.justification+": "+f.VEX.Statement || s[0].Properties["vexSource"] != tt.source {
				t.Errorf("SARIF result %+v, want an accepted external suppression with the justification and statement", res[0])
			}
			if !strings.Contains(r.stderr, "1 waived") || !strings.Contains(r.stderr, "VEX not_affected ("+tt.justification+") in "+tt.source) {
				t.Errorf("summary does not show the VEX statement:\n%s", r.stderr)
			}
		})
	}
}

// TestScanVEXErrors: a malformed, missing or unreadable VEX document is exit
// 2 naming it; so is a .vex that is not a directory.
func TestScanVEXErrors(t *testing.T) {
	malformed := filepath.Join(vexData, "malformed.openvex.json")
	r := secgate(t, "scan", "--offline-db", offlineDB, "--vex", malformed, vexApp)
	if r.code != exitError || !strings.Contains(r.stderr, "parse VEX document "+malformed) {
		t.Errorf("malformed: exit %d, stderr %s", r.code, r.stderr)
	}
	missing := filepath.Join(t.TempDir(), "none.json")
	r = secgate(t, "scan", "--offline-db", offlineDB, "--vex", missing, vexApp)
	if r.code != exitError || !strings.Contains(r.stderr, missing) {
		t.Errorf("missing: exit %d, stderr %s", r.code, r.stderr)
	}
	dir := projectCopy(t)
	write(t, filepath.Join(dir, ".vex"), "not a directory")
	r = secgate(t, "scan", "--offline-db", offlineDB, dir)
	if r.code != exitError || !strings.Contains(r.stderr, "not a directory") {
		t.Errorf(".vex a file: exit %d, stderr %s", r.code, r.stderr)
	}
	dir = projectCopy(t)
	write(t, filepath.Join(dir, ".vex", "bad.json"), `{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "vulnerabilities": [{"id": "CVE-2021-38561", "analysis": {"state": "not_affected"}, "affects": [{"ref": "missing"}]}]}`)
	r = secgate(t, "scan", "--offline-db", offlineDB, dir)
	if r.code != exitError || !strings.Contains(r.stderr, filepath.Join(dir, ".vex", "bad.json")) || !strings.Contains(r.stderr, `ref "missing"`) {
		t.Errorf("unresolvable CycloneDX ref: exit %d, stderr %s", r.code, r.stderr)
	}
}

// projectCopy is a copy of testdata/vex/app in a directory of its own: the
// report root and the scanned directory.
func projectCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(vexApp, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "go.mod"), string(data))
	return dir
}

// TestScanVEXDefaults: without --vex, the scanned directory's .vex/*.json
// and .openvex.json are read; --vex (or the configuration file's vex key)
// replaces them.
func TestScanVEXDefaults(t *testing.T) {
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(vexData, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	for _, place := range []string{".vex/app.json", ".openvex.json"} {
		dir := projectCopy(t)
		write(t, filepath.Join(dir, place), read("not-affected.openvex.json"))
		r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", dir)
		if r.code != exitPass {
			t.Fatalf("%s: exit %d: %s", place, r.code, r.stderr)
		}
		if f := decode(t, r.stdout).Findings[0]; f.VEX == nil || f.VEX.Source != place {
			t.Errorf("%s: VEX %+v", place, f.VEX)
		}
		if !strings.Contains(r.stderr, "VEX: 1 statements from "+place+"; 1 findings have one") {
			t.Errorf("%s: stderr does not say which VEX documents were read:\n%s", place, r.stderr)
		}
		// --vex replaces the defaults.
		r = secgate(t, "scan", "--offline-db", offlineDB, "--vex", filepath.Join(vexData, "other-product.openvex.json"), dir)
		if r.code != exitDenied {
			t.Errorf("%s with --vex: exit %d, want 1", place, r.code)
		}
	}
	dir := projectCopy(t)
	write(t, filepath.Join(dir, "vex", "cdx.json"), read("not-affected.cdx.vex.json"))
	write(t, filepath.Join(dir, configFileName), "vex: [vex/cdx.json]\n")
	r := secgate(t, "scan", "--offline-db", offlineDB, "-f", "json", dir)
	if r.code != exitPass || decode(t, r.stdout).Findings[0].VEX == nil {
		t.Errorf("vex from %s: exit %d: %s", configFileName, r.code, r.stderr)
	}
	write(t, filepath.Join(dir, configFileName), "vex: ../elsewhere.json\n")
	if r := secgate(t, "scan", "--offline-db", offlineDB, dir); r.code != exitError || !strings.Contains(r.stderr, "outside the repository") {
		t.Errorf("vex outside the repository: exit %d: %s", r.code, r.stderr)
	}
}

// TestVEXRoundTrip: secgate vex writes the findings a waiver accepted as an
// OpenVEX document valid against the OpenVEX schema, byte-identical from
// run to run; fed back with --vex and no waiver, it waives the same
// findings, in a directory and in an image.
func TestVEXRoundTrip(t *testing.T) {
	dir := projectCopy(t)
	img := imagetest.Image(t, imagetest.Config{User: "app"},
		imagetest.Layer(t, imagetest.DirFiles(t, filepath.Join(repoRoot, "testdata", "rootfs", "debian"))))
	ref := imagetest.Push(t, img)
	waivers := filepath.Join(t.TempDir(), "w.yaml")
	write(t, waivers, `waivers:
  - rule_id: GO-2021-0113
    reason: language.Parse is only called on constants
    expires: 2099-12-31
    owner: payments-team
  - rule_id: DLA-3008-1
    reason: the image runs no OpenSSL server
    expires: 2099-12-31
`)
	report := filepath.Join(t.TempDir(), "report.json")
	r := secgate(t, "scan", "--offline-db", offlineDB, "--waivers", waivers, "-f", "json", "-o", report, "--image", ref, dir)
	if r.code != exitDenied { // the image has other, unwaived advisories
		t.Fatalf("scan with waivers: exit %d: %s", r.code, r.stderr)
	}
	before, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	waived := waivedIDs(decode(t, string(before)))
	if len(waived) < 2 {
		t.Fatalf("waived %v: want the module's and the image's", waived)
	}

	out := filepath.Join(t.TempDir(), "out.openvex.json")
	r = secgate(t, "vex", "--input", report, "-o", out)
	if r.code != exitPass {
		t.Fatalf("vex: exit %d: %s", r.code, r.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, schematest.OpenVEX(t, repoRoot), data)
	r2 := secgate(t, "vex", "--input", report)
	if r2.code != exitPass || r2.stdout != string(data) {
		t.Errorf("a second run differs (exit %d):\n%s\nwant\n%s", r2.code, r2.stdout, data)
	}
	for _, s := range []string{`"status": "not_affected"`, `"justification": "inline_mitigations_already_exist"`,
		`"impact_statement": "language.Parse is only called on constants"`, `"@id": "pkg:golang/golang.org/x/text@0.3.5"`,
		`"@id": "pkg:oci/app?repository_url=127.0.0.1`, `"subcomponents"`, `"timestamp": "`} {
		if !strings.Contains(string(data), s) {
			t.Errorf("the document lacks %s:\n%s", s, data)
		}
	}

	r = secgate(t, "scan", "--offline-db", offlineDB, "--vex", out, "-f", "json", "--image", ref, dir)
	if r.code != exitDenied {
		t.Fatalf("scan with the VEX: exit %d: %s", r.code, r.stderr)
	}
	doc := decode(t, r.stdout)
	if got := waivedIDs(doc); !slices.Equal(got, waived) {
		t.Errorf("waived by the VEX %v, by the waivers %v", got, waived)
	}
	for _, f := range doc.Findings {
		if f.Decision == findings.DecisionWaived && (f.Waiver != nil || f.VEX == nil || f.VEX.Status != "not_affected") {
			t.Errorf("%s: waiver %+v VEX %+v", f.RuleID, f.Waiver, f.VEX)
		}
	}
	// And a VEX-waived report gives the same statements back.
	again := filepath.Join(t.TempDir(), "again.json")
	if err := os.WriteFile(again, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	r = secgate(t, "vex", "--input", again)
	if r.code != exitPass || !strings.Contains(r.stdout, `"impact_statement": "language.Parse is only called on constants"`) {
		t.Errorf("vex of the VEX-waived report: exit %d:\n%s", r.code, r.stdout)
	}
}

func waivedIDs(doc findings.Document) []string {
	var ids []string
	for _, f := range doc.Findings {
		if f.Decision == findings.DecisionWaived {
			ids = append(ids, f.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// TestVEXCommandErrors: the vex command's bad input is exit 2 naming it; a
// report with nothing waived writes nothing and passes.
func TestVEXCommandErrors(t *testing.T) {
	dir := t.TempDir()
	notReport := filepath.Join(dir, "x.json")
	write(t, notReport, `{"hello": 1}`)
	undecided := filepath.Join(dir, "u.json")
	write(t, undecided, `{"schema_version": 2, "tool": {"name": "secgate", "version": "x"}, "scans": [], "findings": []}`)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"vex"}, "--input is required"},
		{[]string{"vex", "--input", filepath.Join(dir, "none.json")}, filepath.Join(dir, "none.json")},
		{[]string{"vex", "--input", notReport}, "read report " + notReport},
		{[]string{"vex", "--input", undecided}, "no decision"},
		{[]string{"vex", "--input", undecided, "--timestamp", "now"}, "--timestamp"},
	} {
		r := secgate(t, tt.args...)
		if r.code != exitError || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %s; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
	report := filepath.Join(dir, "r.json")
	if r := secgate(t, "scan", "-q", "--offline-db", offlineDB, "-f", "json", "-o", report, vexApp); r.code != exitDenied {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	if r := secgate(t, "vex", "--input", report, "--justification", "trust_me"); r.code != exitError || !strings.Contains(r.stderr, "trust_me") {
		t.Errorf("bad justification: exit %d: %s", r.code, r.stderr)
	}
	out := filepath.Join(dir, "out.json")
	r := secgate(t, "vex", "--input", report, "-o", out)
	if _, err := os.Stat(out); r.code != exitPass || err == nil || !strings.Contains(r.stderr, "no VEX document written") {
		t.Errorf("nothing waived: exit %d, %v: %s", r.code, err, r.stderr)
	}
	if !bytes.Contains([]byte(r.stderr), []byte(report)) {
		t.Errorf("the message does not name the report: %s", r.stderr)
	}
}
