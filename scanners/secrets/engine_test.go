package secrets

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
)

// Credentials assembled at run time, so this file holds none.
var (
	awsKey   = "AKIA" + "Z5Q3RT7WN2XK4PLM"
	ghToken  = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
	slackURL = "https://hooks.slack.com/services/" + "T01ABCDEFGH/B02IJKLMNOP/aBcDeFgHiJkLmNoPqRsTuVwX"
	pemKey   = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\naFDrBz9vFqU4yVkzSzyfDjkZ7R0n6yV1vnyZfjcLvUCu+Tdj6wDgAnmKJgkY9Ux4\n-----END RSA " + "PRIVATE KEY-----"
)

// corpus is source code with secrets in the shapes the engine treats apart:
// template rules (generic-api-key), keyword-anchored rules, rules spanning
// lines, encoded secrets, and plenty of keyword noise around them.
func corpus() map[string]string {
	noise := strings.Repeat("func (s *server) handleKey(key string) (token string, err error) { return s.keys[key], nil }\n", 20)
	return map[string]string{
		"config.go": noise + "const awsKey = \"" + awsKey + "\"\n" + noise,
		"ci.yml":    "env:\n  GITHUB_TOKEN: " + ghToken + "\n  api_key: \"3f9a8c7d6e5b4a392817f6e5d4c3b2a1\"\n",
		"notify.py": "import os\n\nSLACK = '" + slackURL + "'\npassword = \"hunter2hunter2hunter2\"\n",
		"id_rsa":    pemKey + "\n",
		"b64.txt":   "payload: " + base64.StdEncoding.EncodeToString([]byte("aws_key="+awsKey)) + "\n",
		"hex.txt":   "blob = " + hex.EncodeToString([]byte("token: "+ghToken)) + "\n",
		"url.txt":   "dsn=" + url.QueryEscape("x secret="+ghToken+" y") + "\n",
		"allow.go":  "const k = \"" + awsKey + "\" // gitleaks:allow\n",
		"multi.sh":  "curl -X POST \\\n  -H \"Authorization: Bearer 8f7e6d5c4b3a29187f6e5d4c3b2a1908\" \\\n  https://api.example.com\n",
		"noise.go":  noise + strings.Repeat("var s = os.Getenv(\"KEY\") // s.Key, jwt eyJhbGciOi, sk_live_ tokens\n", 50),
	}
}

func describe(fs []report.Finding) []string {
	var out []string
	for _, f := range fs {
		sum := sha256.Sum256([]byte(f.Secret)) // tells secrets apart in failures, never shows one
		out = append(out, fmt.Sprintf("%s %s:%d:%d %x", f.RuleID, f.File, f.StartLine, f.StartColumn, sum[:4]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// engineAndOracle returns an engine of the default rules and, as the
// oracle, one gitleaks detector of the same rules with gitleaks' default
// decoding depth.
func engineAndOracle(t *testing.T) (*Engine, *detect.Detector) {
	t.Helper()
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	ref := detect.NewDetector(rules.cfg)
	ref.MaxDecodeDepth = maxDecodeDepth
	return NewEngine(rules), ref
}

// TestEngineMatchesGitleaks: on every file of the corpus, the engine finds
// exactly what one gitleaks detector run over the whole file finds (with
// gitleaks' default decoding depth), whatever windows it used.
func TestEngineMatchesGitleaks(t *testing.T) {
	e, ref := engineAndOracle(t)
	total := 0
	for path, content := range corpus() {
		got := describe(e.Detect(context.Background(), Blob{Path: path, Content: []byte(content), StartLine: 1}, nil))
		want := describe(finish(detectIn(context.Background(), ref, detect.Fragment{Raw: content, FilePath: path, StartLine: 1})))
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", path, got, want)
		}
		total += len(want)
	}
	if total < 8 {
		t.Errorf("the corpus yields %d findings; it should exercise every kind of rule", total)
	}
}

func TestRuleShapes(t *testing.T) {
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	suffix, anchored := 0, 0
	for _, r := range rules.rules {
		if r.suffix != nil {
			suffix++
		}
		if r.anchored != nil {
			anchored++
		}
	}
	// Most rules get a cheap test at each keyword hit; see engine.go.
	if suffix < 80 || anchored < 80 {
		t.Errorf("%d template and %d keyword-anchored rules of %d", suffix, anchored, len(rules.rules))
	}
	for expr, want := range map[string]int{
		`abc`:                 0,
		`a\nb`:                1,
		`[\s'"]{0,3}x`:        3,
		`(?s:.){0,200}`:       200,
		`[\s\S]{64,}?`:        -1,
		`a.*b`:                0,
		`(?:x|\n\n)(?:\s|y)?`: 3,
	} {
		if got := maxNewlines(expr); got != want {
			t.Errorf("maxNewlines(%q) = %d, want %d", expr, got, want)
		}
	}
}

// A redacted secret shows the prefix its rule's format makes public and
// nothing more: nothing for low-confidence rules, whose secrets are words.
func TestRedact(t *testing.T) {
	rules, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ rule, secret, want string }{
		{"aws-access-token", awsKey, "AKIA…"},
		{"github-pat", ghToken, "ghp_…"},
		{"private-key", pemKey, "-----BEGIN…"},
		{"slack-webhook-url", slackURL, "…"},
		{"generic-api-key", weakSecret, "…"},
		{"generic-api-key", "token-" + "a1b2c3d4e5f6", "…"},
		{"pkcs12-file", "", ""},
		{"no-such-rule", "abc", "…"},
	} {
		if got := rules.byID[tt.rule].redact(tt.secret); got != tt.want {
			t.Errorf("%s: redact = %q, want %q", tt.rule, got, tt.want)
		}
	}
}

func TestLoadRulesErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"url.toml":      "[extend]\nurl = \"https://example.com/x.toml\"\n",
		"both.toml":     "[extend]\nuseDefault = true\npath = \"x.toml\"\n",
		"empty.toml":    "title = \"nothing\"\n",
		"badregex.toml": "[[rules]]\nid = \"x\"\nregex = '''(unclosed'''\n",
	} {
		p := dir + "/" + name
		if err := writeFile(p, content); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadRules("", p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o644) }

// Secrets the engine missed while gitleaks found them: each case names the
// rule gitleaks reports, and the engine must report exactly what gitleaks
// does on it.
func TestFoundWhereGitleaksFinds(t *testing.T) {
	e, ref := engineAndOracle(t)
	for _, tt := range []struct {
		name, content, rule string
	}{
		// The keyword is the secret's own prefix, not the identifier
		// the rule's template holds.
		{"new relic key after its name", "newrelic: " + "NRAK-7JZQ2M4XK9PL3V8R1TB6YC5WD0E\n", "new-relic-user-api-key"},
		{"new relic insert key", "new_relic_insert_key = \"" + "NRII-a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6\"\n", "new-relic-insert-key"},
		{"typeform token", "typeform_token: " + "tfp_" + strings.Repeat("aB3dE5fG7h", 5) + "J9kL1mN3p\n", "typeform-api-token"},
		{"lob key", "lob_key = \"" + "live_" + "3f9a8c7d6e5b4a392817f6e5d4c3b2a1f0e\"\n", "lob-api-key"},
		// The keyword on another line than the secret: gitleaks runs the
		// rule over the whole fragment once its keyword occurs in it.
		{"airtable keyword a line above", "airtable:\n  pat: " + "patjar6wfggg6mw0u." + strings.Repeat("82ae76b8e9cd78d8", 4) + "\n", "airtable-personnal-access-token"},
		{"facebook comment two lines above", "# facebook\n\nconst token = \"" + "1234567890123456|Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW\"\n", "facebook-access-token"},
		// base64 key.pem > key.b64: lines wrapped at 76 characters, each
		// decoded on its own.
		{"base64 of a PEM private key, wrapped", wrap(base64.StdEncoding.EncodeToString([]byte(pemOf(t))), 76), "private-key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			got := describe(e.Detect(ctx, Blob{Path: "f.txt", Content: []byte(tt.content), StartLine: 1}, nil))
			want := describe(finish(detectIn(ctx, ref, detect.Fragment{Raw: tt.content, FilePath: "f.txt", StartLine: 1})))
			if !slices.ContainsFunc(want, func(s string) bool { return strings.HasPrefix(s, tt.rule+" ") }) {
				t.Fatalf("gitleaks does not report %s here (%q): fix the case", tt.rule, want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("\n got %q\nwant %q", got, want)
			}
		})
	}
}

// pemOf is a PEM private key made for the test.
func pemOf(t *testing.T) string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// wrap breaks s into lines of n characters, as base64(1) writes them.
func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s + "\n")
	return b.String()
}

// On a long line (minified code, one-line JSON) the rules run on byte
// windows around their keyword hits, not on the whole line for each hit:
// the findings, lines and columns are still exactly gitleaks' on the
// whole line.
func TestLongLineMatchesGitleaks(t *testing.T) {
	e, ref := engineAndOracle(t)
	filler := func(n int) string {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, "var a%d=function(e){return e.value||\"%x\"};", i, i*7919)
		}
		return b.String()
	}
	secrets := []string{
		`var awsKey="` + awsKey + `";`,
		`headers:{Authorization:"token ` + ghToken + `"},`,
		`config={api_key:"3f9a8c7d6e5b4a39` + `2817f6e5d4c3b2a1"};`, // assembled: no secret in the source
		`hook="` + slackURL + `";`,
		`password="hunter2hunter2hunter2";`,
		`jwt="eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9` + `.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";`,
	}
	var b strings.Builder
	b.WriteString("// header line\n")
	for i, s := range secrets {
		b.WriteString(filler(20000 + 3000*i))
		b.WriteString(s)
	}
	b.WriteString(filler(5000) + "\nsecond line\n")
	content := b.String()
	got := describe(e.Detect(context.Background(), Blob{Path: "bundle.min.js", Content: []byte(content), StartLine: 1}, nil))
	want := describe(finish(detectIn(context.Background(), ref, detect.Fragment{Raw: content, FilePath: "bundle.min.js", StartLine: 1})))
	if len(want) < 5 {
		t.Fatalf("gitleaks finds only %q: fix the test", want)
	}
	if !slices.Equal(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}

// A base64 run that starts with U is base64, not a U+XXXX escape: one line
// of a wrapped, base64-encoded PEM key began so, and its key was missed.
func TestDecodesBase64StartingWithU(t *testing.T) {
	line := []byte(base64.StdEncoding.EncodeToString([]byte("RLT+Q2hRANCAARh1sY1eiOSE2bYsLntvlpBTmKIlnTq\n7DshYBLn7cwg0")) + "\n")
	if line[0] != 'U' {
		t.Fatalf("%q does not start with U: fix the test", line)
	}
	n := 0
	eachDecoded(line, func([]byte) bool { n++; return true })
	if n == 0 {
		t.Errorf("%q: not decoded", line)
	}
}

// Allowlists on the finding's line, which the engine applies once per line
// instead of the detector once per finding, allow what gitleaks allows:
// the OR list (--mount=type=secret), the AND list with paths (.bb recipes),
// and on a long minified line too.
func TestLineAllowlistsAsGitleaks(t *testing.T) {
	e, ref := engineAndOracle(t)
	key := "3f9a8c7d6e5b4a39" + "2817f6e5d4c3b2a1"
	for _, tt := range []struct{ path, content string }{
		{"Dockerfile", "RUN --mount=type=secret,id=npmrc api_key=\"" + key + "\" npm ci\n"},
		{"Dockerfile", "RUN api_key=\"" + key + "\" npm ci\n"},
		{"recipe.bb", "SRC_URI_token = \"" + key + "\"\n"},
		{"recipe.txt", "SRC_URI_token = \"" + key + "\"\n"},
		{"app.min.js", strings.Repeat(`var a=function(e){return e.value||"x"};`, 400) + `import { api_key } from "k";var api_key="` + key + `";` + "\n"},
	} {
		got := describe(e.Detect(context.Background(), Blob{Path: tt.path, Content: []byte(tt.content), StartLine: 1}, nil))
		want := describe(finish(detectIn(context.Background(), ref, detect.Fragment{Raw: tt.content, FilePath: tt.path, StartLine: 1})))
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", tt.path, got, want)
		}
	}
}
