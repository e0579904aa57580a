package main

import (
	"fmt"
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

// applyConfig sets, from a YAML configuration file, every scan flag the
// command line did not set: the file's keys are the flags' names
// (fail-on: critical, image: [a, b], policy: [team/], ...); flags win. An
// unknown key, or a value the flag rejects, is an error naming the file.
// Relative paths in the file are relative to the file's directory (see
// pathKeys), so that a .secgate.yaml means the same from any working
// directory; exclude stays relative to the scanned directory, as on the
// command line. It returns the file read, "" when there was none.
func applyConfig(fl *pflag.FlagSet, file, root string) (string, error) {
	explicit := file != ""
	if !explicit {
		file = filepath.Join(root, configFileName)
		if _, err := os.Lstat(file); err != nil {
			return "", nil
		}
	}
	data, err := safefile.Read(scanDir(root), file, safefile.Config)
	if err != nil {
		return "", err
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("read config %s: %w", file, err)
	}
	for _, key := range slices.Sorted(maps.Keys(cfg)) {
		flag := fl.Lookup(key)
		if flag == nil || key == "config" {
			return "", fmt.Errorf("config %s: unknown key %q (keys are the flags of secgate scan)", file, key)
		}
		if flag.Changed {
			continue
		}
		values, err := configValues(cfg[key])
		if err != nil {
			return "", fmt.Errorf("config %s: %s: %w", file, key, err)
		}
		for _, v := range values {
			v = resolveConfigPath(key, v, filepath.Dir(file))
			if err := fl.Set(key, v); err != nil {
				return "", fmt.Errorf("config %s: %s: %w", file, key, err)
			}
		}
	}
	return file, nil
}

// pathKeys are the flags whose values are local files or directories.
var pathKeys = map[string]bool{
	"output": true, "baseline": true, "offline-db": true, "policy": true, "data": true,
	"waivers": true, "policy-bundle": true, "bundle-verification-key": true,
	"secrets-config": true, "dockerfile": true, "image": true,
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
