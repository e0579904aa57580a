package secrets

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

// gitleaksModuleDir is where the gitleaks module of go.mod lies in the
// module cache.
func gitleaksModuleDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/zricethezav/gitleaks/v8").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("gitleaks module not in the module cache: %v", err)
	}
	return dir
}

// configSummary is what a loaded config decides, in a form two loaders'
// results compare by.
type configSummary struct {
	Err        bool                   `json:"err"`
	Rules      map[string]ruleSummary `json:"rules,omitempty"`
	Allowlists []allowlistSummary     `json:"allowlists,omitempty"`
}

type ruleSummary struct {
	Description, Regex, Path string
	SecretGroup              int
	Entropy                  float64
	Keywords, Tags           []string
	Allowlists               []allowlistSummary
}

type allowlistSummary struct {
	Description, Condition, RegexTarget string
	Commits, Paths, Regexes, StopWords  []string
}

func summarize(cfg config.Config) configSummary {
	res := func(rs []*regexp.Regexp) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.String())
		}
		return out
	}
	lists := func(as []*config.Allowlist) []allowlistSummary {
		var out []allowlistSummary
		for _, a := range as {
			out = append(out, allowlistSummary{
				Description: a.Description, Condition: a.MatchCondition.String(), RegexTarget: a.RegexTarget,
				// gitleaks builds stop words from a map: their order is random.
				Commits: a.Commits, Paths: res(a.Paths), Regexes: res(a.Regexes), StopWords: slices.Sorted(slices.Values(a.StopWords)),
			})
		}
		return out
	}
	str := func(r *regexp.Regexp) string {
		if r == nil {
			return ""
		}
		return r.String()
	}
	s := configSummary{Rules: map[string]ruleSummary{}, Allowlists: lists(cfg.Allowlists)}
	for id, r := range cfg.Rules {
		kw := slices.Sorted(slices.Values(r.Keywords))
		tags := slices.Sorted(slices.Values(r.Tags))
		s.Rules[id] = ruleSummary{
			Description: r.Description, Regex: str(r.Regex), Path: str(r.Path), SecretGroup: r.SecretGroup,
			Entropy: r.Entropy, Keywords: slices.Compact(kw), Tags: slices.Compact(tags), Allowlists: lists(r.Allowlists),
		}
	}
	return s
}

// TestGitleaksConfigOracle is not a test: run by TestConfigsLoadAsInGitleaks
// in a process of its own (gitleaks' loader keeps its extension depth in a
// package variable), it loads one config with gitleaks' loader and prints
// what it decided.
func TestGitleaksConfigOracle(t *testing.T) {
	path := os.Getenv("SECGATE_GITLEAKS_ORACLE")
	if path == "" {
		t.Skip("run by TestConfigsLoadAsInGitleaks")
	}
	s := func() (s configSummary) {
		defer func() {
			if recover() != nil {
				s = configSummary{Err: true}
			}
		}()
		viper.SetConfigFile(path)
		if err := viper.ReadInConfig(); err != nil {
			return configSummary{Err: true}
		}
		var vc config.ViperConfig
		if err := viper.Unmarshal(&vc); err != nil {
			return configSummary{Err: true}
		}
		cfg, err := vc.Translate()
		if err != nil {
			return configSummary{Err: true}
		}
		return summarize(cfg)
	}()
	out, _ := json.Marshal(s)
	fmt.Printf("ORACLE %s\n", out)
}

// Every config of gitleaks' own test data (testdata/config/valid and
// invalid, read from the module cache) loads in secgate to the same rules
// and allowlists as in gitleaks, or is refused as gitleaks refuses it:
// among them a default rule extended by id with only [[rules.allowlists]],
// and global [[allowlists]] with targetRules.
func TestConfigsLoadAsInGitleaks(t *testing.T) {
	mod := gitleaksModuleDir(t)
	// The configs name the files they extend relative to gitleaks'
	// config package, where its tests run.
	t.Chdir(filepath.Join(mod, "config"))
	files, err := filepath.Glob("../testdata/config/*/*.toml")
	if err != nil || len(files) < 40 {
		t.Fatalf("%d configs: %v", len(files), err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Where secgate decides otherwise on purpose.
	deliberate := map[string]string{
		// gitleaks silently ignores an [extend] past its depth limit,
		// and so loses the rules the author meant to add.
		"valid/extend.toml": "nested deeper than",
	}
	loaded := 0
	for _, f := range files {
		t.Run(strings.TrimPrefix(f, "../testdata/config/"), func(t *testing.T) {
			cmd := exec.Command(self, "-test.run=^TestGitleaksConfigOracle$")
			cmd.Env = append(os.Environ(), "SECGATE_GITLEAKS_ORACLE="+f)
			out, err := cmd.CombinedOutput()
			_, line, ok := strings.Cut(string(out), "ORACLE ")
			if err != nil || !ok {
				t.Fatalf("oracle: %v\n%s", err, out)
			}
			line, _, _ = strings.Cut(line, "\n")
			var want configSummary
			if err := json.Unmarshal([]byte(line), &want); err != nil {
				t.Fatal(err)
			}
			var got configSummary
			p, err := loadConfigFile("", f, 0)
			var cfg config.Config
			if err == nil {
				cfg, err = p.assemble()
			}
			if err != nil {
				got.Err = true
			} else {
				got = summarize(cfg)
				loaded++
			}
			if msg, ok := deliberate[strings.TrimPrefix(f, "../testdata/config/")]; ok {
				if err == nil || !strings.Contains(err.Error(), msg) {
					t.Errorf("error %v, want one saying %q", err, msg)
				}
				return
			}
			if got.Err != want.Err {
				t.Fatalf("secgate error %v (%v), gitleaks error %v", got.Err, err, want.Err)
			}
			// JSON on both sides: nil and empty lists compare equal.
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				for _, id := range slices.Sorted(maps.Keys(want.Rules)) {
					gj, _ := json.Marshal(got.Rules[id])
					wj, _ := json.Marshal(want.Rules[id])
					if string(gj) != string(wj) {
						t.Errorf("rule %s:\n got %s\nwant %s", id, gj, wj)
					}
				}
				if len(got.Rules) != len(want.Rules) {
					t.Errorf("%d rules, gitleaks %d", len(got.Rules), len(want.Rules))
				}
				gj, _ := json.Marshal(got.Allowlists)
				wj, _ := json.Marshal(want.Allowlists)
				if string(gj) != string(wj) {
					t.Errorf("global allowlists:\n got %s\nwant %s", gj, wj)
				}
			}
		})
	}
	t.Logf("%d configs, %d loaded", len(files), loaded)
}
