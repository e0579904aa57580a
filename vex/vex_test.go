package vex

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/schematest"
	"github.com/secgate/secgate/safefile"
)

const testdata = "../testdata/vex"

// textFinding is the finding secgate reports for golang.org/x/text v0.3.5
// against the testdata OSV database (GO-2021-0113 and its aliases).
func textFinding() findings.Finding {
	return findings.Finding{
		ID: "96a9c796af03b84fe3599dad89df94f7", Kind: findings.KindVulnerability, Scanner: findings.ScannerDeps,
		RuleID: "GO-2021-0113", Title: "Out-of-bounds read in golang.org/x/text/language", Severity: findings.SeverityHigh,
		Location: findings.Location{Target: ".", Path: "go.mod", Line: 5},
		Package:  &findings.Package{Name: "golang.org/x/text", Version: "0.3.5", Ecosystem: "Go", PURL: "pkg:golang/golang.org/x/text@0.3.5"},
		Vulnerability: &findings.Vulnerability{
			ID: "GO-2021-0113", Aliases: []string{"CVE-2021-38561", "GHSA-ppp9-7jff-5vj2"},
			FixedVersions: []string{"0.3.7"}, References: []string{}, Modified: "2024-05-20T16:03:47Z", Published: "2021-10-06T17:51:21Z",
		},
	}
}

func mustRoot(t *testing.T, dir string) findings.Root {
	t.Helper()
	r, err := findings.RootAt(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// load reads the testdata documents names, in order.
func load(t *testing.T, names ...string) *Set {
	t.Helper()
	var paths []string
	for _, n := range names {
		paths = append(paths, filepath.Join(testdata, n))
	}
	s, err := Load(context.Background(), "", mustRoot(t, testdata), paths)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestApplyTestdata: the testdata documents on the finding of
// golang.org/x/text@0.3.5: by id or alias, OpenVEX or CycloneDX, a statement
// for another product changing nothing, the latest statement winning.
func TestApplyTestdata(t *testing.T) {
	tests := []struct {
		docs          []string
		status        string
		justification string
		source        string
		text          string
	}{
		{[]string{"not-affected.openvex.json"}, "not_affected", "vulnerable_code_not_in_execute_path", "not-affected.openvex.json", "vex-app never calls"},
		{[]string{"other-product.openvex.json"}, "", "", "", ""},
		{[]string{"alias.openvex.json"}, "not_affected", "vulnerable_code_not_in_execute_path", "alias.openvex.json", "No version of golang.org/x/text"},
		{[]string{"not-affected.cdx.vex.json"}, "not_affected", "vulnerable_code_not_in_execute_path", "not-affected.cdx.vex.json", "vex-app never calls"},
		// Later (2024-09-12) wins, in either order.
		{[]string{"not-affected.openvex.json", "affected-later.openvex.json"}, "affected", "", "affected-later.openvex.json", "update golang.org/x/text"},
		{[]string{"affected-later.openvex.json", "not-affected.cdx.vex.json"}, "affected", "", "affected-later.openvex.json", "update golang.org/x/text"},
		{[]string{"other-product.openvex.json", "alias.openvex.json"}, "not_affected", "vulnerable_code_not_in_execute_path", "alias.openvex.json", "No version"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.docs, "+"), func(t *testing.T) {
			s := load(t, tt.docs...)
			doc := &findings.Document{Findings: []findings.Finding{textFinding()}}
			n := s.Apply(doc, nil)
			got := doc.Findings[0].VEX
			if tt.status == "" {
				if got != nil || n != 0 {
					t.Fatalf("VEX %+v on the finding, want none", got)
				}
				return
			}
			if got == nil || n != 1 {
				t.Fatalf("no VEX on the finding, want %s", tt.status)
			}
			if got.Status != tt.status || got.Justification != tt.justification || got.Source != tt.source || !strings.Contains(got.Statement, tt.text) {
				t.Errorf("VEX %+v, want %s %s from %s with %q", got, tt.status, tt.justification, tt.source, tt.text)
			}
		})
	}
}

func statement(status string, when string, products ...product) *Statement {
	t, _ := time.Parse(time.RFC3339, when)
	return &Statement{Vulnerabilities: []string{"GO-2021-0113"}, Status: status, Time: t, Source: "s.json", products: products}
}

func prod(t *testing.T, ids []string, subs ...[]string) product {
	t.Helper()
	p, err := newProduct(ids, subs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStatementMatching: products, subcomponents and images.
func TestStatementMatching(t *testing.T) {
	const image = "registry.example.com/shop/web:1.4"
	text := []string{"pkg:golang/golang.org/x/text@v0.3.5"}
	tests := []struct {
		name    string
		product product
		image   string
		want    bool
		app     string // the application of a finding outside images
	}{
		{"package", prod(t, text), "", true, ""},
		{"package in an image", prod(t, text), image, true, ""},
		{"every version", prod(t, []string{"pkg:golang/golang.org/x/text"}), "", true, ""},
		{"other version", prod(t, []string{"pkg:golang/golang.org/x/text@v0.3.7"}), "", false, ""},
		{"other package", prod(t, []string{"pkg:golang/golang.org/x/net@v0.3.5"}), "", false, ""},
		{"identifier, not a package URL", prod(t, []string{"golang.org/x/text"}), "", false, ""},
		{"application with the package as subcomponent", prod(t, []string{"pkg:golang/example.com/app@v1.0.0"}, text), "", true, ""},
		{"application with another subcomponent", prod(t, []string{"pkg:golang/example.com/app@v1.0.0"}, []string{"pkg:golang/golang.org/x/net"}), "", false, ""},
		{"image with the package, finding outside images", prod(t, []string{"pkg:oci/web?repository_url=registry.example.com/shop/web"}, text), "", false, ""},
		{"its image with the package", prod(t, []string{"pkg:oci/web?repository_url=registry.example.com/shop/web&tag=1.4"}, text), image, true, ""},
		{"its image by reference", prod(t, []string{image}, text), image, true, ""},
		{"its image by ImageProduct", prod(t, []string{ImageProduct(image)}, text), image, true, ""},
		{"another tag of the image", prod(t, []string{"pkg:oci/web?tag=1.5"}, text), image, false, ""},
		{"another image", prod(t, []string{"pkg:oci/api"}, text), image, false, ""},
		{"an application with the package, finding in an image", prod(t, []string{"pkg:golang/example.com/app@v1.0.0"}, text), image, false, ""},
		{"the image itself", prod(t, []string{"pkg:oci/web"}), image, true, ""},
		{"the image itself, finding outside it", prod(t, []string{"pkg:oci/web"}), "", false, ""},
		{"its application with the package", prod(t, []string{"pkg:golang/example.com/app"}, text), "", true, "pkg:golang/example.com/app"},
		{"another application with the package", prod(t, []string{"pkg:golang/example.com/other"}, text), "", false, "pkg:golang/example.com/app"},
		{"the package itself, application known", prod(t, text), "", true, "pkg:golang/example.com/app"},
	}
	pkg, err := parsePURL("pkg:golang/golang.org/x/text@0.3.5")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var app *purl
			if tt.app != "" {
				if app, err = parsePURL(tt.app); err != nil {
					t.Fatal(err)
				}
			}
			if got := statement("not_affected", "2024-01-01T00:00:00Z", tt.product).matches(pkg, tt.image, app); got != tt.want {
				t.Errorf("matches %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLatest: the later statement wins; at the same time the one that
// waives least; then the one read last.
func TestLatest(t *testing.T) {
	text := prod(t, []string{"pkg:golang/golang.org/x/text"})
	at := func(status, when string, doc int) *Statement {
		s := statement(status, when, text)
		s.doc = doc
		return s
	}
	tests := []struct {
		name  string
		stmts []*Statement
		want  int
	}{
		{"later", []*Statement{at("affected", "2024-01-01T00:00:00Z", 0), at("not_affected", "2024-02-01T00:00:00Z", 1)}, 1},
		{"later, read first", []*Statement{at("not_affected", "2024-02-01T00:00:00Z", 0), at("affected", "2024-01-01T00:00:00Z", 1)}, 0},
		{"tie: affected over not_affected", []*Statement{at("affected", "2024-01-01T00:00:00Z", 0), at("not_affected", "2024-01-01T00:00:00Z", 1)}, 0},
		{"tie: under_investigation over fixed", []*Statement{at("fixed", "2024-01-01T00:00:00Z", 0), at("under_investigation", "2024-01-01T00:00:00Z", 1)}, 1},
		{"tie: the one read last", []*Statement{at("not_affected", "2024-01-01T00:00:00Z", 0), at("not_affected", "2024-01-01T00:00:00Z", 1)}, 1},
		{"no time is earliest", []*Statement{at("not_affected", "", 0), at("affected", "2020-01-01T00:00:00Z", 1)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Set{byVuln: map[string][]*Statement{"GO-2021-0113": tt.stmts}}
			f := textFinding()
			if got := s.For(&f, ""); got != tt.stmts[tt.want] {
				t.Errorf("took %+v, want %+v", got, tt.stmts[tt.want])
			}
		})
	}
}

func TestPURLCovers(t *testing.T) {
	tests := []struct {
		statement, pkg string
		want           bool
	}{
		{"pkg:golang/golang.org/x/text@v0.3.5", "pkg:golang/golang.org/x/text@0.3.5", true},
		{"pkg:golang/golang.org/x/text@0.3.5", "pkg:golang/golang.org/x/text@v0.3.5", true},
		{"pkg:golang/golang.org/x/text", "pkg:golang/golang.org/x/text@0.3.5", true},
		{"pkg:golang/golang.org/x/text@0.3.6", "pkg:golang/golang.org/x/text@0.3.5", false},
		{"pkg:golang/golang.org/x/text@0.3.5", "pkg:golang/golang.org/x/text", false},
		{"pkg:golang/golang.org/x/net@0.3.5", "pkg:golang/golang.org/x/text@0.3.5", false},
		{"pkg:npm/text@0.3.5", "pkg:golang/golang.org/x/text@0.3.5", false},
		{"pkg:golang/example.org/x/text@0.3.5", "pkg:golang/golang.org/x/text@0.3.5", false},
		{"pkg:PyPI/Django_Rest.Framework@3.14.0", "pkg:pypi/django-rest-framework@3.14.0", true},
		{"pkg:npm/%40babel/core@7.0.0", "pkg:npm/@babel/core@7.0.0", true},
		{"pkg:npm/lodash@4.17.11", "pkg:npm/Lodash@4.17.11", false}, // npm names are not folded
		{"pkg:deb/debian/openssl@3.0.11-1~deb12u1", "pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64&distro=debian-12", true},
		{"pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64", "pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64&distro=debian-12", true},
		{"pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=arm64", "pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64", false},
		{"pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64", "pkg:deb/debian/openssl@3.0.11-1~deb12u1", true},
		{"pkg:golang/golang.org/x/text@v0.3.5?type=module", "pkg:golang/golang.org/x/text@0.3.5", true},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1#sub", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", true},
	}
	for _, tt := range tests {
		s, err := parsePURL(tt.statement)
		if err != nil {
			t.Fatal(err)
		}
		p, err := parsePURL(tt.pkg)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.covers(p); got != tt.want {
			t.Errorf("%s covers %s: %v, want %v", tt.statement, tt.pkg, got, tt.want)
		}
	}
}

func TestImageProduct(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"registry.example.com/shop/web:1.4", "pkg:oci/web?repository_url=registry.example.com%2Fshop%2Fweb&tag=1.4"},
		{"alpine", "pkg:oci/alpine?repository_url=docker.io%2Flibrary%2Falpine&tag=latest"},
		{"ghcr.io/org/app@sha256:" + strings.Repeat("ab", 32), "pkg:oci/app@sha256:" + strings.Repeat("ab", 32) + "?repository_url=ghcr.io%2Forg%2Fapp"},
		{"docker-archive:images/web.tar", "docker-archive:images/web.tar"},
		{"images/web.tar", "docker-archive:images/web.tar"},
		{"oci:build/my layout", "oci:build/my%20layout"},
		{"dir:rootfs", "dir:rootfs"},
	}
	for _, tt := range tests {
		if got := ImageProduct(tt.ref); got != tt.want {
			t.Errorf("ImageProduct(%q) = %q, want %q", tt.ref, got, tt.want)
		}
		if !namesImage(ImageProduct(tt.ref), tt.ref) || !namesImage(tt.ref, tt.ref) {
			t.Errorf("%q does not name itself", tt.ref)
		}
	}
}

// TestParseErrors: what is not a valid OpenVEX 0.2 or CycloneDX (1.4+) VEX
// document is an error that says what is wrong.
func TestParseErrors(t *testing.T) {
	openvex := func(statements string) string {
		return `{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/v", "author": "a",
			"timestamp": "2024-01-01T00:00:00Z", "version": 1, "statements": [` + statements + `]}`
	}
	const product = `"products": [{"@id": "pkg:golang/golang.org/x/text"}]`
	cdx := func(version, vulns string) string {
		return `{"bomFormat": "CycloneDX", "specVersion": "` + version + `", "version": 1,
			"components": [{"type": "library", "bom-ref": "text", "name": "text", "purl": "pkg:golang/golang.org/x/text@v0.3.5"},
			               {"type": "library", "bom-ref": "nopurl", "name": "x"}],
			"vulnerabilities": [` + vulns + `]}`
	}
	tests := []struct{ name, data, want string }{
		{"not JSON", `{"@context": `, "not a JSON object"},
		{"truncated, with its line", "{\n\"@context\": \"https://openvex.dev/ns/v0.2.0\",\n\"statements\": [\n", "not a JSON object"},
		{"neither format", `{"hello": "world"}`, "neither an OpenVEX document"},
		{"OpenVEX 0.0.1", `{"@context": "https://openvex.dev/ns", "statements": []}`, `@context "https://openvex.dev/ns": only https://openvex.dev/ns/v0.2.0`},
		{"no statements", openvex(``), "without statements"},
		{"unknown status", openvex(`{"vulnerability": {"name": "GO-2021-0113"}, ` + product + `, "status": "fine"}`), `statement 1: invalid status value "fine"`},
		{"not_affected without why", openvex(`{"vulnerability": {"name": "GO-2021-0113"}, ` + product + `, "status": "not_affected"}`), "statement 1: either justification or impact statement"},
		{"unknown justification", openvex(`{"vulnerability": {"name": "GO-2021-0113"}, ` + product + `, "status": "not_affected", "justification": "trust_me"}`), `invalid justification value "trust_me"`},
		{"affected without action", openvex(`{"vulnerability": {"name": "GO-2021-0113"}, ` + product + `, "status": "affected"}`), "action statement must be set"},
		{"no vulnerability name", openvex(`{"vulnerability": {"@id": "https://x"}, ` + product + `, "status": "fixed"}`), "vulnerability has no name"},
		{"no product", openvex(`{"vulnerability": {"name": "GO-2021-0113"}, "status": "fixed"}`), "statement 1: names no product"},
		{"empty product", openvex(`{"vulnerability": {"name": "GO-2021-0113"}, "products": [{}], "status": "fixed"}`), "product 1 has neither"},
		{"bad package URL", openvex(`{"vulnerability": {"name": "GO-2021-0113"}, "products": [{"@id": "pkg:golang"}], "status": "fixed"}`), `product 1: parse package URL "pkg:golang"`},
		{"bad timestamp", strings.Replace(openvex(`{"vulnerability": {"name": "GO-2021-0113"}, `+product+`, "status": "fixed"}`), "2024-01-01T00:00:00Z", "yesterday", 1), "read OpenVEX"},
		{"no timestamp", `{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "GO-2021-0113"}, ` + product + `, "status": "fixed"}]}`, "no timestamp"},
		{"CycloneDX 1.3", cdx("1.3", ``), "CycloneDX 1.3: vulnerabilities need CycloneDX 1.4 or later"},
		{"CycloneDX 9.9", cdx("9.9", ``), "invalid specification version"},
		{"unknown state", cdx("1.5", `{"id": "CVE-2021-38561", "analysis": {"state": "sleeping"}, "affects": [{"ref": "text"}]}`), `vulnerabilities[0] (CVE-2021-38561): analysis.state "sleeping": unknown`},
		{"unknown justification", cdx("1.5", `{"id": "CVE-2021-38561", "analysis": {"state": "not_affected", "justification": "trust_me"}, "affects": [{"ref": "text"}]}`), `analysis.justification "trust_me": unknown`},
		{"unresolved ref", cdx("1.5", `{"id": "CVE-2021-38561", "analysis": {"state": "not_affected"}, "affects": [{"ref": "nothing"}]}`), `ref "nothing": no component of the BOM has that bom-ref`},
		{"component without purl", cdx("1.5", `{"id": "CVE-2021-38561", "analysis": {"state": "not_affected"}, "affects": [{"ref": "nopurl"}]}`), `ref "nopurl": the component has no purl`},
		{"no affects", cdx("1.5", `{"id": "CVE-2021-38561", "analysis": {"state": "not_affected"}}`), "affects no component"},
		{"version ranges", cdx("1.5", `{"id": "CVE-2021-38561", "analysis": {"state": "not_affected"}, "affects": [{"ref": "text", "versions": [{"range": "vers:golang/<0.3.7"}]}]}`), "affects[0].versions: not supported"},
		{"bad date", cdx("1.5", `{"id": "CVE-2021-38561", "analysis": {"state": "not_affected", "lastUpdated": "June"}, "affects": [{"ref": "text"}]}`), `analysis.lastUpdated "June": want RFC 3339`},
		{"no id", cdx("1.5", `{"analysis": {"state": "not_affected"}, "affects": [{"ref": "text"}]}`), "no id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.json", []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
	if _, err := Parse("x.json", []byte("{\n\"@context\": \"https://openvex.dev/ns/v0.2.0\",\n\"statements\": [\n")); err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("truncated document: %v, want its line", err)
	}
}

// TestParseCycloneDX: states and justifications as OpenVEX's; a
// vulnerability without analysis is skipped; refs by bom-ref, BOM-Link or
// package URL; the metadata component is a component too; the statement's
// time is its analysis's, else the vulnerability's, else the BOM's.
func TestParseCycloneDX(t *testing.T) {
	const bom = `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
		"serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
		"metadata": {"timestamp": "2024-01-01T00:00:00Z", "component": {"type": "application", "bom-ref": "app", "name": "app", "purl": "pkg:golang/example.com/app@v1.0.0"}},
		"components": [{"type": "library", "bom-ref": "text", "name": "text", "purl": "pkg:golang/golang.org/x/text@v0.3.5",
			"components": [{"type": "library", "bom-ref": "nested", "name": "n", "purl": "pkg:golang/example.com/nested@v1.0.0"}]}],
		"vulnerabilities": [
			{"id": "CVE-1", "analysis": {"state": "false_positive"}, "affects": [{"ref": "text"}]},
			{"id": "CVE-2", "analysis": {"state": "resolved", "justification": "code_not_present"}, "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#nested"}], "updated": "2024-03-01T00:00:00Z"},
			{"id": "CVE-3", "analysis": {"state": "exploitable", "detail": "upgrade"}, "affects": [{"ref": "app"}]},
			{"id": "CVE-4", "analysis": {"state": "in_triage", "firstIssued": "2024-02-01T00:00:00Z"}, "affects": [{"ref": "pkg:npm/lodash@4.17.11"}]},
			{"id": "CVE-5", "analysis": {"state": "not_affected", "justification": "protected_at_perimeter"}, "affects": [{"ref": "text"}], "references": [{"id": "GHSA-x"}]},
			{"id": "CVE-6", "affects": [{"ref": "text"}]},
			{"id": "CVE-7", "analysis": {"state": "resolved_with_pedigree"}, "affects": [{"ref": "text"}]}
		]}`
	stmts, err := Parse("bom.json", []byte(bom))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		vulns                 string
		status, justification string
		when                  string
		purl                  string
	}
	wants := []want{
		{"CVE-1", "not_affected", "", "2024-01-01T00:00:00Z", "pkg:golang/golang.org/x/text@v0.3.5"},
		{"CVE-2", "fixed", "", "2024-03-01T00:00:00Z", "pkg:golang/example.com/nested@v1.0.0"},
		{"CVE-3", "affected", "", "2024-01-01T00:00:00Z", "pkg:golang/example.com/app@v1.0.0"},
		{"CVE-4", "under_investigation", "", "2024-02-01T00:00:00Z", "pkg:npm/lodash@4.17.11"},
		{"CVE-5 GHSA-x", "not_affected", "inline_mitigations_already_exist", "2024-01-01T00:00:00Z", "pkg:golang/golang.org/x/text@v0.3.5"},
		{"CVE-7", "fixed", "", "2024-01-01T00:00:00Z", "pkg:golang/golang.org/x/text@v0.3.5"},
	}
	if len(stmts) != len(wants) {
		t.Fatalf("%d statements, want %d: %+v", len(stmts), len(wants), stmts)
	}
	for i, w := range wants {
		st := stmts[i]
		got := want{strings.Join(st.Vulnerabilities, " "), st.Status, st.Justification, st.Time.Format(time.RFC3339), strings.Join(st.products[0].ids, " ")}
		if got != w {
			t.Errorf("statement %d: %+v, want %+v", i, got, w)
		}
		if st.Source != "bom.json" {
			t.Errorf("statement %d: source %q", i, st.Source)
		}
	}
	if stmts[2].Text != "upgrade" {
		t.Errorf("detail %q, want the analysis detail", stmts[2].Text)
	}
}

// TestLoad: every file named in errors; caps; the default files.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root := mustRoot(t, dir)
	if _, err := Load(ctx, dir, root, []string{filepath.Join(testdata, "malformed.openvex.json")}); err == nil ||
		!strings.Contains(err.Error(), "parse VEX document "+filepath.Join(testdata, "malformed.openvex.json")) {
		t.Errorf("malformed: %v", err)
	}
	missing := filepath.Join(dir, "missing.json")
	if _, err := Load(ctx, dir, root, []string{missing}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing: %v", err)
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, []byte(`{"@context": "`+strings.Repeat("x", int(safefile.VEX.Max))+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, dir, root, []string{big}); !errors.Is(err, safefile.ErrUnsafe) || !strings.Contains(err.Error(), big) {
		t.Errorf("over the cap: %v", err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o644); err == nil {
		if _, err := Load(ctx, dir, root, []string{fifo}); !errors.Is(err, safefile.ErrUnsafe) {
			t.Errorf("FIFO: %v", err)
		}
	}
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "v.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "v.json"), filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, dir, root, []string{filepath.Join(dir, "link.json")}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("link out of the scanned directory: %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Load(canceled, dir, root, []string{big}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	if got, err := Files(dir); err != nil || len(got) != 0 {
		t.Fatalf("empty directory: %v %v", got, err)
	}
	for _, name := range []string{".vex/b.json", ".vex/a.json", ".vex/notes.txt", ".openvex.json"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Files(dir)
	want := []string{filepath.Join(dir, ".vex", "a.json"), filepath.Join(dir, ".vex", "b.json"), filepath.Join(dir, ".openvex.json")}
	if err != nil || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files %v %v, want %v", got, err, want)
	}
	file := t.TempDir()
	if err := os.WriteFile(filepath.Join(file, ".vex"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Files(file); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf(".vex a file: %v", err)
	}
}

// FuzzParse: any bytes are statements or an error, never a panic.
func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir(testdata)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if data, err := os.ReadFile(filepath.Join(testdata, e.Name())); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		stmts, err := Parse("fuzz.json", data)
		if err != nil {
			return
		}
		s := &Set{byVuln: map[string][]*Statement{}}
		s.add(0, stmts)
		fs := []findings.Finding{textFinding()}
		fs[0].Image = &findings.Image{Ref: "registry.example.com/app:1"}
		s.Apply(&findings.Document{Findings: fs}, nil)
	})
}

// TestTestdataValid: the OpenVEX test documents are valid against the
// OpenVEX schema (but the malformed one), the CycloneDX one against the
// CycloneDX 1.5 schema, so the tests read real VEX.
func TestTestdataValid(t *testing.T) {
	cdx, err := os.ReadFile(filepath.Join(testdata, "not-affected.cdx.vex.json"))
	if err != nil {
		t.Fatal(err)
	}
	cdxSchema := schematest.CycloneDX15(t, "..")
	schematest.Validate(t, cdxSchema, cdx)
	bad, err := jsonschema.UnmarshalJSON(strings.NewReader(strings.Replace(string(cdx), `"state": "not_affected"`, `"state": "fine"`, 1)))
	if err != nil || cdxSchema.Validate(bad) == nil {
		t.Errorf("the CycloneDX schema accepts an unknown analysis state (%v)", err)
	}
	sch := schematest.OpenVEX(t, "..")
	names, err := filepath.Glob(filepath.Join(testdata, "*.openvex.json"))
	if err != nil || len(names) < 4 {
		t.Fatalf("testdata: %v %v", names, err)
	}
	for _, name := range names {
		if strings.Contains(name, "malformed") {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(name), func(t *testing.T) { schematest.Validate(t, sch, data) })
	}
}
