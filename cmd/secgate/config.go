package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/secgate/secgate/safefile"
)

// configFileName is read from the scanned directory when --config is not given.
const configFileName = ".secgate.yaml"

// applyConfig sets, from a YAML configuration file, every scan flag that
// neither the command line nor the environment set: the file's keys are the
// flags' names (fail-on: critical, image: [a, b], policy: [team/], ...).
// The precedence is flags > environment (SECGATE_OFFLINE_DB, ...) >
// configuration file, so that a repository cannot override what the
// pipeline set. An unknown key, or a value the flag rejects, is an error
// naming the file. Relative paths in the file are relative to the file's
// directory (see pathKeys), so that a .secgate.yaml means the same from any
// working directory; exclude stays relative to the scanned directory, as on
// the command line.
//
// The default file (PATH/.secgate.yaml, not --config) is the scanned
// repository's: its paths must stay inside the repository (repo, the
// report root), so that it can neither read nor write the rest of the
// machine.
//
// It returns what it did, for stderr: the file read ("" when none), the
// settings it supplied, and the ones the command line or the environment
// overrode.
func applyConfig(fl *pflag.FlagSet, file, root, repo string) (configUse, error) {
	explicit := file != ""
	if !explicit {
		file = filepath.Join(root, configFileName)
		if _, err := os.Lstat(file); err != nil {
			return configUse{}, nil
		}
	}
	use := configUse{file: file}
	data, err := safefile.Read(scanDir(root), file, safefile.Config)
	if err != nil {
		return use, err
	}
	cfg, err := decodeConfig(data)
	if err != nil {
		return use, fmt.Errorf("config %s: %w", file, err)
	}
	for _, key := range slices.Sorted(maps.Keys(cfg)) {
		flag := fl.Lookup(key)
		if flag == nil || key == "config" {
			return use, fmt.Errorf("config %s: unknown key %q (keys are the flags of secgate scan)", file, key)
		}
		values := cfg[key]
		switch env := envFlags[key]; {
		case flag.Changed:
			use.overridden = append(use.overridden, key+" (the command line)")
			continue
		case env != "" && os.Getenv(env) != "":
			use.overridden = append(use.overridden, key+" ("+env+")")
			continue
		}
		for _, v := range values {
			v = resolveConfigPath(key, v, filepath.Dir(file))
			if !explicit && repo != "" {
				if err := insideRepository(key, v, repo); err != nil {
					return use, fmt.Errorf("config %s: %s: %w", file, key, err)
				}
			}
			if err := fl.Set(key, v); err != nil {
				return use, fmt.Errorf("config %s: %s: %w", file, key, err)
			}
		}
		use.supplied = append(use.supplied, key+"="+strings.Join(values, ","))
	}
	return use, nil
}

// configUse is what applyConfig did.
type configUse struct {
	file                 string
	supplied, overridden []string
}

// report writes what the configuration file supplied, and what it could
// not, to stderr: settings that loosen the gate (a database, policies, the
// fail-on level, outputs) must never come silently from the repository.
func (u configUse) report(w io.Writer) {
	if u.file == "" {
		return
	}
	if len(u.supplied) > 0 {
		say(w, "secgate: %s supplied: %s", u.file, strings.Join(u.supplied, "; "))
	}
	if len(u.overridden) > 0 {
		say(w, "secgate: %s also sets, overridden: %s", u.file, strings.Join(u.overridden, ", "))
	}
}

// envFlags are the flags an environment variable sets; the variable wins
// over a configuration file, as the flag does.
var envFlags = map[string]string{"offline-db": "SECGATE_OFFLINE_DB", "osv-api": "SECGATE_OSV_API"}

// insideRepository refuses a path value of a repository's configuration
// that lies outside the repository.
func insideRepository(key, v, repo string) error {
	if !pathKeys[key] || strings.Contains(v, "://") {
		return nil
	}
	if key == "image" {
		p, ok := "", false
		for _, prefix := range []string{"docker-archive:", "oci:", "dir:"} {
			if rest, cut := strings.CutPrefix(v, prefix); cut {
				p, ok = rest, true
			}
		}
		if !ok {
			return nil // a registry reference
		}
		v = p
	}
	abs, err := filepath.Abs(v)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(repo, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("%s lies outside the repository (%s): a repository's configuration may only name its own files; give it with the flag instead", v, repo)
	}
	return nil
}

// pathKeys are the flags whose values are local files or directories.
var pathKeys = map[string]bool{
	"output": true, "baseline": true, "offline-db": true, "exploit-db": true, "policy": true, "data": true,
	"waivers": true, "policy-bundle": true, "bundle-verification-key": true,
	"secrets-config": true, "dockerfile": true, "image": true, "vex": true,
}

// resolveConfigPath joins a relative path value of a path key to dir and
// expands a leading "~/".
// URLs (policy-bundle) and registry references (image) are left alone; of
// an image, only the docker-archive:, oci: and dir: forms name local paths.
func resolveConfigPath(key, v, dir string) string {
	if !pathKeys[key] || v == "" || strings.Contains(v, "://") {
		return v
	}
	if key == "image" {
		for _, prefix := range []string{"docker-archive:", "oci:", "dir:"} {
			if rest, ok := strings.CutPrefix(v, prefix); ok {
				return prefix + resolveConfigPath("output", rest, dir)
			}
		}
		return v
	}
	if rest, ok := strings.CutPrefix(v, "~/"); ok { // no shell expands it here
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	if filepath.IsAbs(v) {
		return v
	}
	return filepath.Join(dir, v)
}

// decodeConfig reads a configuration file's YAML: a mapping of keys to a
// scalar or a list of scalars, each a flag value.
func decodeConfig(data []byte) (map[string][]string, error) {
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(raw))
	for key, v := range raw {
		values, err := configValues(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out[key] = values
	}
	return out, nil
}

// configValues turns a YAML value into flag values: a scalar is one value,
// a list one value per element (for repeatable flags).
func configValues(v any) ([]string, error) {
	switch v := v.(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, err := scalar(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	default:
		s, err := scalar(v)
		return []string{s}, err
	}
}

func scalar(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool, int, int64, float64:
		return strings.TrimSpace(fmt.Sprint(v)), nil
	case nil:
		return "", fmt.Errorf("empty value")
	}
	return "", fmt.Errorf("want a string, a number, a boolean or a list of them, not %T", v)
}

// scanDir is the directory of the scanned PATH (a scanned file's
// directory): files inside it may not lead out of it.
func scanDir(path string) string {
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		return filepath.Dir(path)
	}
	return path
}
