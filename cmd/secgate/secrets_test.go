package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/internal/schematest"
)

// Secrets are assembled at run time so that this file holds none a scanner
// would find. They are well-formed for their rules but belong to nobody.
var (
	awsKey      = "AKIA" + "Z5Q3RT7WN2XK4PLM"
	githubToken = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
	slackHook   = "https://hooks.slack.com/services/" + "T01ABCDEFGH/B02IJKLMNOP/aBcDeFgHiJkLmNoPqRsTuVwX"
)

func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// newRepo returns an empty git repository on branch main with an author
// set; it skips the test when git is not installed.
func newRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	runGit(t, dir, "init", "-q", "-b", "main")
	runGit(t, dir, "config", "user.email", "dev@example.com")
	runGit(t, dir, "config", "user.name", "Dev")
	return dir
}

// write writes a file, and the directories it lies in.
func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// secretsRepo builds a repository holding an AWS key in a committed file,
// a GitHub token that only an earlier commit holds (a later one removes it)
// and a Slack webhook staged but not committed. It returns the repo and the
// commits that added the AWS key and the GitHub token.
func secretsRepo(t *testing.T) (dir, awsCommit, githubCommit string) {
	dir = newRepo(t)
	write(t, filepath.Join(dir, "config.go"), "package main\n\n// Deploy settings.\nconst awsKey = \""+awsKey+"\"\n")
	runGit(t, dir, "add", ".")
	runGit(t, dir, "commit", "-q", "-m", "add config")
	awsCommit = runGit(t, dir, "rev-parse", "HEAD")
	write(t, filepath.Join(dir, "ci.yml"), "steps:\n  - run: deploy\n    env:\n      TOKEN: "+githubToken+"\n")
	runGit(t, dir, "add", "ci.yml")
	runGit(t, dir, "commit", "-q", "-m", "add ci")
	githubCommit = runGit(t, dir, "rev-parse", "HEAD")
	runGit(t, dir, "rm", "-q", "ci.yml")
	runGit(t, dir, "commit", "-q", "-m", "remove ci")
	write(t, filepath.Join(dir, "notify.toml"), "[slack]\nurl = \""+slackHook+"\"\n")
	runGit(t, dir, "add", "notify.toml")
	return dir, awsCommit, githubCommit
}

func TestSecretSources(t *testing.T) {
	dir, awsCommit, githubCommit := secretsRepo(t)
	type want struct {
		rule, path string
		line       int
		commit     string
	}
	tests := []struct {
		name string
		args []string
		want []want
		not  []string
	}{
		// The working tree holds config.go and the staged notify.toml (a
		// file on disk is scanned whatever its git state); ci.yml is gone.
		{"tree", nil, []want{{"aws-access-token", "config.go", 4, ""}, {"slack-webhook-url", "notify.toml", 2, ""}}, []string{"github-pat"}},
		{"history", []string{"--history"}, []want{{"aws-access-token", "config.go", 4, awsCommit}, {"github-pat", "ci.yml", 4, githubCommit}}, []string{"slack-webhook-url"}},
		{"history since", []string{"--history", "--since", awsCommit}, []want{{"github-pat", "ci.yml", 4, githubCommit}}, []string{"aws-access-token", "slack-webhook-url"}},
		{"staged", []string{"--staged"}, []want{{"slack-webhook-url", "notify.toml", 2, ""}}, []string{"aws-access-token", "github-pat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"scan", "--scanners", "secrets", "-f", "json"}, tt.args...)
			r := secgate(t, append(args, dir)...)
			if r.code != exitDenied {
				t.Fatalf("exit %d, want 1\nstderr: %s", r.code, r.stderr)
			}
			doc := decode(t, r.stdout)
			if len(doc.Findings) != len(tt.want) {
				t.Errorf("%d findings, want %d: %s", len(doc.Findings), len(tt.want), r.stdout)
			}
			for _, w := range tt.want {
				found := false
				for _, f := range doc.Findings {
					if f.RuleID != w.rule {
						continue
					}
					found = true
					if f.Kind != findings.KindSecret || f.Scanner != findings.ScannerSecrets || f.Location.Path != w.path || f.Location.Line != w.line || f.Location.Column < 1 {
						t.Errorf("%s: %+v", w.rule, f)
					}
					if f.Secret == nil || f.Secret.Confidence != "high" || len(f.Secret.Fingerprint) != 32 || len([]rune(f.Secret.Redacted)) > 11 {
						t.Errorf("%s: secret %+v", w.rule, f.Secret)
					}
					if w.commit == "" && f.Commit != nil || w.commit != "" && (f.Commit == nil || f.Commit.SHA != w.commit || f.Commit.AuthorEmail != "dev@example.com" || f.Commit.Date != "2026-01-02T03:04:05Z") {
						t.Errorf("%s: commit %+v, want %s", w.rule, f.Commit, w.commit)
					}
					if f.Decision != findings.DecisionDeny {
						t.Errorf("%s: decision %s, want deny", w.rule, f.Decision)
					}
				}
				if !found {
					t.Errorf("no %s finding: %s", w.rule, r.stdout)
				}
			}
			for _, rule := range tt.not {
				if strings.Contains(r.stdout, `"rule_id": "`+rule+`"`) {
					t.Errorf("found %s, which this source does not hold", rule)
				}
			}
			schematest.Validate(t, schematest.Findings(t), []byte(r.stdout))
		})
	}
}

// No output format, summary, progress or policy message ever holds a
// secret: not the whole value, nor any long part of it.
func TestSecretsNeverPrinted(t *testing.T) {
	dir, _, _ := secretsRepo(t)
	secrets := []string{awsKey, githubToken, slackHook}
	var outputs []string
	for _, mode := range [][]string{nil, {"--history"}, {"--staged"}} {
		for _, format := range []string{"table", "json", "sarif"} {
			args := append([]string{"scan", "--scanners", "secrets", "-f", format}, mode...)
			r := secgate(t, append(args, dir)...)
			if r.code != exitDenied {
				t.Fatalf("%v %s: exit %d: %s", mode, format, r.code, r.stderr)
			}
			outputs = append(outputs, r.stdout, r.stderr)
		}
	}
	// The policy input is the JSON document without the decision.
	outputs = append(outputs, secgate(t, "scan", "--scanners", "secrets", "-f", "json", "--history", dir).stdout)
	for _, out := range outputs {
		for _, s := range secrets {
			for _, part := range []string{s, s[4:], s[len(s)-12:]} {
				if strings.Contains(out, part) {
					t.Fatalf("output contains (part of) a secret %q:\n%s", part[:4]+"…", out)
				}
			}
		}
	}
}

func TestInlineAllowAndConfig(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.go"), "const k = \""+awsKey+"\" // secgate:allow test fixture\n")
	write(t, filepath.Join(dir, "b.go"), "const k = \""+awsKey+"\" // gitleaks:allow\n")
	r := secgate(t, "scan", "--scanners", "secrets", "-f", "json", dir)
	if r.code != exitPass || len(decode(t, r.stdout).Findings) != 0 {
		t.Fatalf("allow comments: exit %d: %s", r.code, r.stdout)
	}

	// A gitleaks config that extends the defaults and adds a rule.
	write(t, filepath.Join(dir, "c.txt"), "internal = SECGATE-TEST-0123456789abcdef\n")
	cfg := filepath.Join(dir, "rules.toml")
	write(t, cfg, `[extend]
useDefault = true

[[rules]]
id = "acme-internal-token"
description = "ACME internal token"
regex = '''SECGATE-TEST-[0-9a-f]{16}'''
keywords = ["secgate-test-"]
`)
	r = secgate(t, "scan", "--scanners", "secrets", "-f", "json", "--secrets-config", cfg, dir)
	doc := decode(t, r.stdout)
	if r.code != exitDenied || len(doc.Findings) != 1 || doc.Findings[0].RuleID != "acme-internal-token" {
		t.Fatalf("custom rule: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	if doc.Scans[0].Config != "rules.toml" || doc.Scans[0].Stats["rules"] < 200 {
		t.Errorf("scan %+v: want the config named and the default rules kept", doc.Scans[0])
	}

	// Loading configs again and again in one process keeps the defaults
	// (gitleaks' own loader loses them on the third load).
	for range 3 {
		r = secgate(t, "scan", "--scanners", "secrets", "-f", "json", "--secrets-config", cfg, dir)
		if n := decode(t, r.stdout).Scans[0].Stats["rules"]; n < 200 {
			t.Fatalf("reload: %d rules", n)
		}
	}

	write(t, cfg, "this is [not toml")
	if r = secgate(t, "scan", "--scanners", "secrets", "--secrets-config", cfg, dir); r.code != exitError || !strings.Contains(r.stderr, "rules.toml") {
		t.Errorf("broken config: exit %d: %s", r.code, r.stderr)
	}
}

func TestSkippedInput(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	write(t, filepath.Join(outside, "creds.txt"), "key = \""+awsKey+"\"\n")
	if err := os.Symlink(filepath.Join(outside, "creds.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	// An executable (ELF signature) is binary; a path the global
	// allowlist leaves out (.bin) is not read; a NUL byte alone does not
	// make a file binary (gitleaks scans it too).
	write(t, filepath.Join(dir, "tool"), "\x7fELF\x02\x01\x01"+strings.Repeat("\x00", 57)+awsKey)
	write(t, filepath.Join(dir, "blob.bin"), "binary "+awsKey)
	write(t, filepath.Join(dir, "big.txt"), strings.Repeat("x", 2048)+awsKey)
	r := secgate(t, "scan", "--scanners", "secrets", "-f", "json", "--max-file-size", "1KB", dir)
	if r.code != exitPass {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	st := decode(t, r.stdout).Scans[0].Stats
	if st["skipped_binary"] != 1 || st["skipped_too_large"] != 1 || st["skipped_link_outside_root"] != 1 || st["allowlisted"] != 1 || st["files"] != 0 {
		t.Errorf("stats %v", st)
	}
	write(t, filepath.Join(dir, "dump.txt"), "\x00\x01 key = "+awsKey+"\n")
	r = secgate(t, "scan", "--scanners", "secrets", "-f", "json", "--max-file-size", "1KB", dir)
	if doc := decode(t, r.stdout); r.code != exitDenied || len(doc.Findings) != 1 || doc.Findings[0].Location.Path != "dump.txt" {
		t.Errorf("text with a NUL byte: exit %d: %s", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "skipped_link_outside_root=1") {
		t.Errorf("summary does not count the skipped link:\n%s", r.stderr)
	}

	if os.Getuid() != 0 { // root reads anything
		unreadable := filepath.Join(dir, "secret.env")
		write(t, unreadable, "x")
		if err := os.Chmod(unreadable, 0); err != nil {
			t.Fatal(err)
		}
		r = secgate(t, "scan", "--scanners", "secrets", dir)
		if r.code != exitError || !strings.Contains(r.stderr, "secret.env") {
			t.Errorf("unreadable file: exit %d: %s", r.code, r.stderr)
		}
	}
}

// A PKCS#12 bundle (a private key and its certificate) is reported by its
// path, as gitleaks reports it, though its content is binary: in the tree
// (demo/tls/user.pfx, as in a real repository), and in history after a
// later commit removed it (client.p12).
func TestPKCS12Reported(t *testing.T) {
	dir := newRepo(t)
	// The first bytes of a DER PKCS#12 PFX: SEQUENCE, version 3, then
	// the authSafe, here filled with binary noise (NUL bytes included).
	der := "\x30\x82\x0a\x3f\x02\x01\x03\x30\x82\x0a\x05\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01" + strings.Repeat("\x00\xa0\x82\x09\xf6", 64)
	write(t, filepath.Join(dir, "client.p12"), der)
	runGit(t, dir, "add", ".")
	runGit(t, dir, "commit", "-q", "-m", "add client cert")
	runGit(t, dir, "rm", "-q", "client.p12")
	runGit(t, dir, "commit", "-q", "-m", "remove client cert")
	write(t, filepath.Join(dir, "demo", "tls", "user.pfx"), der)
	for _, tt := range []struct {
		name string
		args []string
		path string
	}{
		{"tree", nil, "demo/tls/user.pfx"},
		{"history", []string{"--history"}, "client.p12"},
	} {
		r := secgate(t, append(append([]string{"scan", "--scanners", "secrets", "-f", "json"}, tt.args...), dir)...)
		doc := decode(t, r.stdout)
		if r.code != exitDenied || len(doc.Findings) != 1 || doc.Findings[0].RuleID != "pkcs12-file" || doc.Findings[0].Location.Path != tt.path {
			t.Errorf("%s: exit %d, findings %+v\n%s", tt.name, r.code, doc.Findings, r.stderr)
		}
	}
}

// The configs gitleaks documents for narrowing the default rules load and
// act: a default rule extended by id with only [[rules.allowlists]], and a
// global [[allowlists]] with targetRules under [extend] useDefault.
func TestGitleaksDocumentedConfigs(t *testing.T) {
	for name, cfg := range map[string]string{
		"rule allowlist by id": "[extend]\nuseDefault = true\n\n[[rules]]\nid = \"aws-access-token\"\n[[rules.allowlists]]\npaths = ['''^fixtures/''']\n",
		"targeted allowlist":   "[extend]\nuseDefault = true\n\n[[allowlists]]\ntargetRules = [\"aws-access-token\", \"github-pat\"]\npaths = ['''^fixtures/''']\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, ".gitleaks.toml"), cfg)
			write(t, filepath.Join(dir, "fixtures", "creds.txt"), "aws = "+awsKey+"\n")
			write(t, filepath.Join(dir, "app", "creds.txt"), "aws = "+awsKey+"\n")
			r := secgate(t, "scan", "--scanners", "secrets", "-f", "json", dir)
			doc := decode(t, r.stdout)
			if r.code != exitDenied || len(doc.Findings) != 1 || doc.Findings[0].Location.Path != "app/creds.txt" {
				t.Errorf("exit %d, findings %+v: %s", r.code, doc.Findings, r.stderr)
			}
		})
	}
}

// SECGATE_FINGERPRINT_KEY keys the fingerprints of secrets: the same key
// gives the same ids run after run, another key or none other ids; the key
// appears in no output, and a short one is refused.
func TestFingerprintKey(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "config.env"), "aws = "+awsKey+"\ndb_password = \"k8s"+"Prod2025Xq\"\n")
	const key = "the repository's fingerprint key"
	ids := func(k string) ([]string, string) {
		t.Setenv("SECGATE_FINGERPRINT_KEY", k)
		var out strings.Builder
		var got []string
		for _, format := range []string{"json", "sarif", "table", "markdown", "junit", "gitlab-secrets"} {
			r := secgate(t, "scan", "--scanners", "secrets", "-f", format, dir)
			if r.code != exitDenied {
				t.Fatalf("%s: exit %d: %s", format, r.code, r.stderr)
			}
			out.WriteString(r.stdout + r.stderr)
			if format == "json" {
				for _, f := range decode(t, r.stdout).Findings {
					got = append(got, f.ID+" "+f.Secret.Fingerprint)
				}
			}
		}
		return got, out.String()
	}
	a, out := ids(key)
	b, _ := ids(key)
	c, _ := ids("another repository's key")
	d, _ := ids("")
	if len(a) != 2 || !slices.Equal(a, b) {
		t.Errorf("ids under one key differ between runs: %v %v", a, b)
	}
	if slices.Equal(a, c) || slices.Equal(a, d) {
		t.Errorf("ids under other keys agree: %v %v %v", a, c, d)
	}
	if strings.Contains(out, key) || strings.Contains(out, "Prod2025Xq") {
		t.Error("the key or the secret is in the output")
	}
	t.Setenv("SECGATE_FINGERPRINT_KEY", "tiny-k3y")
	if r := secgate(t, "scan", "--scanners", "secrets", dir); r.code != exitError || !strings.Contains(r.stderr, "SECGATE_FINGERPRINT_KEY") || strings.Contains(r.stderr, "tiny-k3y") {
		t.Errorf("short key: exit %d: %s", r.code, r.stderr)
	}
}

// History follows renames: a moved file holding a secret keeps the one
// finding of the commit that added the secret. --all-refs scans the
// commits of every ref, such as a branch HEAD does not reach.
func TestHistoryRenamesAndAllRefs(t *testing.T) {
	dir := newRepo(t)
	write(t, filepath.Join(dir, "config.go"), "package main\n\nconst awsKey = \""+awsKey+"\"\n")
	runGit(t, dir, "add", ".")
	runGit(t, dir, "commit", "-q", "-m", "add config")
	added := runGit(t, dir, "rev-parse", "HEAD")
	if err := os.Mkdir(filepath.Join(dir, "deploy"), 0o755); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, "mv", "config.go", "deploy/config.go")
	runGit(t, dir, "commit", "-q", "-m", "move config")
	runGit(t, dir, "checkout", "-q", "-b", "feature")
	write(t, filepath.Join(dir, "ci.yml"), "env:\n  TOKEN: "+githubToken+"\n")
	runGit(t, dir, "add", "ci.yml")
	runGit(t, dir, "commit", "-q", "-m", "add ci")
	feature := runGit(t, dir, "rev-parse", "HEAD")
	runGit(t, dir, "checkout", "-q", "main")

	type found struct{ rule, path, commit string }
	scan := func(args ...string) ([]found, findings.Document) {
		r := secgate(t, append(append([]string{"scan", "-f", "json"}, args...), dir)...)
		if r.code != exitDenied {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		doc := decode(t, r.stdout)
		var out []found
		for _, f := range doc.Findings {
			out = append(out, found{f.RuleID, f.Location.Path, f.Commit.SHA})
		}
		slices.SortFunc(out, func(a, b found) int { return strings.Compare(a.rule, b.rule) })
		return out, doc
	}
	got, _ := scan("--history")
	if want := []found{{"aws-access-token", "config.go", added}}; !slices.Equal(got, want) {
		t.Errorf("--history: %v, want %v (the move is no new finding, the branch is not reached)", got, want)
	}
	got, doc := scan("--history", "--all-refs")
	if want := []found{{"aws-access-token", "config.go", added}, {"github-pat", "ci.yml", feature}}; !slices.Equal(got, want) {
		t.Errorf("--all-refs: %v, want %v", got, want)
	}
	if doc.Scans[0].Source != "git history of all refs" {
		t.Errorf("source %q", doc.Scans[0].Source)
	}
	if got, _ = scan("--all-refs", "--since", added); len(got) != 1 || got[0].commit != feature {
		t.Errorf("--all-refs --since: %v, want the feature commit alone", got)
	}
	if r := secgate(t, "scan", "--staged", "--all-refs", dir); r.code != exitError {
		t.Errorf("--staged --all-refs: exit %d", r.code)
	}
}
