package policies

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"gopkg.in/yaml.v3"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/safefile"
)

// inputSchema is the JSON Schema of the policy input, the findings
// document: given to the compiler as the schema of input, it makes a
// policy reading input.findngs or f.severty a compile error with its file
// and line, not a rule that silently never fires.
func inputSchema() *ast.SchemaSet {
	var schema any
	if err := json.Unmarshal(findings.Schema, &schema); err != nil {
		panic(fmt.Sprintf("findings schema: %v", err)) // embedded; tested
	}
	ss := ast.NewSchemaSet()
	ss.Put(ast.SchemaRootRef, schema)
	return ss
}

// LoadModules reads policies from files and directories: every .rego file,
// recursively, but the _test.rego ones (see LoadTestModules). dir is the
// scanned repository ("" for none): a path inside it may not lead out of it
// (see package safefile).
func LoadModules(dir string, paths []string) (map[string]string, error) {
	return loadRego(dir, paths, false)
}

// LoadTestModules reads the same files with the _test.rego ones, for
// `secgate policy test`.
func LoadTestModules(dir string, paths []string) (map[string]string, error) {
	return loadRego(dir, paths, true)
}

func loadRego(dir string, paths []string, tests bool) (map[string]string, error) {
	out := map[string]string{}
	for _, root := range paths {
		err := walkFiles(root, func(p string) error {
			if filepath.Ext(p) != ".rego" || (!tests && strings.HasSuffix(p, "_test.rego")) {
				return nil
			}
			src, err := safefile.Read(dir, p, safefile.Policy)
			if err != nil {
				return err
			}
			out[filepath.ToSlash(p)] = string(src)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load policies: %w", err)
		}
	}
	return out, nil
}

// walkFiles calls fn for root when it is not a directory, else for every
// regular file under it; an explicitly named file is read whatever its
// extension (and refused by safefile if it is not a regular file).
func walkFiles(root string, fn func(string) error) error {
	fi, err := os.Stat(root)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fn(root)
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			return fn(p)
		}
		return nil
	})
}

// LoadData reads JSON and YAML files (or directories of them) and merges
// them into one document for data. Two files setting the same key to
// different non-object values is an error, as is a key twice in one
// object of one file. dir is as for LoadModules.
func LoadData(dir string, paths []string) (map[string]any, error) {
	out := map[string]any{}
	for _, root := range paths {
		err := walkFiles(root, func(p string) error {
			ext := strings.ToLower(filepath.Ext(p))
			fi, _ := os.Stat(root)
			if fi.IsDir() && ext != ".json" && ext != ".yaml" && ext != ".yml" {
				return nil
			}
			b, err := safefile.Read(dir, p, safefile.Data)
			if err != nil {
				return err
			}
			var doc map[string]any
			if ext == ".json" {
				if err = duplicateKeys(b); err == nil {
					err = json.Unmarshal(b, &doc)
				}
			} else {
				err = yaml.Unmarshal(b, &doc)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if err := merge(out, doc, ""); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load data: %w", err)
		}
	}
	return out, nil
}

func merge(dst, src map[string]any, at string) error {
	for k, v := range src {
		d, exists := dst[k]
		dm, dIsMap := d.(map[string]any)
		sm, sIsMap := v.(map[string]any)
		switch {
		case !exists:
			dst[k] = v
		case dIsMap && sIsMap:
			if err := merge(dm, sm, at+"."+k); err != nil {
				return err
			}
		default:
			return fmt.Errorf("data%s.%s is set twice", at, k)
		}
	}
	return nil
}

// WaiversFile is the file read from the scanned directory when no waivers file
// is given.
const WaiversFile = ".secgate-waivers.yaml"

// LoadWaivers reads a waivers file:
//
//	waivers:
//	  - rule_id: GO-2021-0113        # or id: <finding id>
//	    path: "services/*/go.mod"    # optional glob
//	    package: golang.org/x/text   # optional
//	    reason: fixed by the proxy in front of the service   # required
//	    expires: 2027-03-31          # required, the last day it applies
//	    owner: payments-team         # optional
//
// A waiver without a reason, an expiry date, or an id or rule_id is an
// error, as is an unknown key.
func LoadWaivers(dir, path string) ([]findings.Waiver, error) {
	data, err := safefile.Read(dir, path, safefile.Waivers)
	if err != nil {
		return nil, err
	}
	return parseWaivers(path, data)
}

// parseWaivers parses a waivers file's content; path names it in errors.
func parseWaivers(path string, data []byte) ([]findings.Waiver, error) {
	var doc struct {
		Waivers []findings.Waiver `yaml:"waivers"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// An empty or comment-only file is a file with no waivers yet (the
	// decoder reports it as io.EOF, "no document").
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse waivers %s: %w", path, err)
	}
	var errs []string
	for i, w := range doc.Waivers {
		label := fmt.Sprintf("%s: waiver %d", path, i+1)
		if w.ID == "" && w.RuleID == "" {
			errs = append(errs, label+": needs id or rule_id")
		}
		if strings.TrimSpace(w.Reason) == "" {
			errs = append(errs, label+": needs a reason")
		}
		if _, err := time.Parse(time.DateOnly, w.Expires); err != nil {
			errs = append(errs, fmt.Sprintf("%s: expires %q: want a date YYYY-MM-DD", label, w.Expires))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid waivers:\n  %s", strings.Join(errs, "\n  "))
	}
	return doc.Waivers, nil
}

// addWaivers puts the waivers and today's date into data, where the
// policies read them: data.secgate.config.waivers and
// data.secgate.config.today.
func addWaivers(data map[string]any, waivers []findings.Waiver, today string) error {
	if today == "" {
		today = time.Now().UTC().Format(time.DateOnly)
	}
	if _, err := time.Parse(time.DateOnly, today); err != nil {
		return fmt.Errorf("today %q: want YYYY-MM-DD", today)
	}
	list := make([]any, len(waivers))
	for i, w := range waivers {
		b, err := json.Marshal(w)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		list[i] = m
	}
	sg, _ := data["secgate"].(map[string]any)
	if sg == nil {
		sg = map[string]any{}
		data["secgate"] = sg
	}
	cfg, _ := sg["config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
		sg["config"] = cfg
	}
	cfg["waivers"] = list
	cfg["today"] = today
	return nil
}

// ruleMeta indexes METADATA annotations by the rule or package they are on.
type ruleMeta map[string]*findings.RuleMeta

// ruleMetadata reads the METADATA annotations of the compiled modules:
// those on a deny or warn rule (scope rule or document), and those on a
// package, which describe its rules when they have none of their own.
func ruleMetadata(c *ast.Compiler) ruleMeta {
	out := ruleMeta{}
	set := c.GetAnnotationSet()
	if set == nil {
		return out
	}
	for _, ar := range set.Flatten() {
		a := ar.Annotations
		if a == nil {
			continue
		}
		key := ar.Path.String()
		if _, seen := out[key]; seen && a.Scope != "rule" && a.Scope != "document" {
			continue
		}
		m := &findings.RuleMeta{Title: a.Title, Description: a.Description}
		if a.Custom != nil {
			m.ID, _ = a.Custom["id"].(string)
			m.Severity, _ = a.Custom["severity"].(string)
			m.Remediation, _ = a.Custom["remediation"].(string)
		}
		if *m == (findings.RuleMeta{}) {
			continue
		}
		if _, seen := out[key]; !seen || a.Scope == "rule" || a.Scope == "document" {
			out[key] = m
		}
	}
	return out
}

// lookup returns the annotation of rule (deny or warn) in package pkg, or
// of the package.
func (m ruleMeta) lookup(pkg ast.Ref, rule string) *findings.RuleMeta {
	if r, ok := m[pkg.Append(ast.StringTerm(rule)).String()]; ok {
		return r
	}
	return m[pkg.String()]
}

// duplicateKeys returns an error naming the first key that appears twice
// in one object of a JSON document: encoding/json keeps the last silently,
// so a second "fail_on" could undo the first unseen.
func duplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]bool
		expect bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expect {
			key, _ := tok.(string)
			if top.keys[key] {
				return fmt.Errorf("key %q appears twice in one object (at byte %d)", key, dec.InputOffset())
			}
			top.keys[key] = true
			top.expect = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, expect: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: in an object, a key comes next.
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].expect = true
		}
	}
}
