// Package schematest validates secgate's outputs against their JSON Schemas
// in tests: the findings document against findings/schema.json, SARIF against
// the OASIS SARIF 2.1.0 schema, OpenVEX documents against the OpenVEX
// schema and CycloneDX test data against the CycloneDX 1.5 schema vendored
// in testdata/schemas, GitLab security reports against
// GitLab's schemas vendored in report/testdata/gitlab-schemas.
package schematest

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/secgate/secgate/findings"
)

// SARIFSchemaEnv names a SARIF 2.1.0 schema file to use instead of the
// copy vendored in testdata/schemas (see its README).
const SARIFSchemaEnv = "SECGATE_SARIF_SCHEMA"

// Compile compiles the JSON Schema in data (any draft the library knows),
// with format assertions on.
func Compile(t testing.TB, name string, data []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := "file:///schemas/" + name
	if err := c.AddResource(url, doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return sch
}

// Findings is the schema of the findings document.
func Findings(t testing.TB) *jsonschema.Schema {
	t.Helper()
	return Compile(t, "findings.schema.json", findings.Schema)
}

// SARIF is the OASIS SARIF 2.1.0 schema, from testdata/schemas. repoRoot
// is the repository root relative to the test's directory (or absolute).
// A missing schema fails the test: validation never silently skips.
func SARIF(t testing.TB, repoRoot string) *jsonschema.Schema {
	t.Helper()
	path := os.Getenv(SARIFSchemaEnv)
	if path == "" {
		path = filepath.Join(repoRoot, "testdata", "schemas", "sarif-schema-2.1.0.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the SARIF schema: %v", err)
	}
	return Compile(t, "sarif-schema-2.1.0.json", data)
}

// OpenVEX is the OpenVEX 0.2.0 JSON schema, from testdata/schemas (see its
// README). repoRoot is as for SARIF. A missing schema fails the test.
func OpenVEX(t testing.TB, repoRoot string) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "schemas", "openvex_json_schema.json"))
	if err != nil {
		t.Fatalf("read the OpenVEX schema: %v", err)
	}
	return Compile(t, "openvex_json_schema.json", data)
}

// CycloneDX15 is the CycloneDX 1.5 JSON schema with the two it refers to
// (SPDX license ids, JSF signatures), from testdata/schemas/cyclonedx (see
// testdata/schemas/README.md). repoRoot is as for SARIF.
func CycloneDX15(t testing.TB, repoRoot string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, name := range []string{"bom-1.5.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "schemas", "cyclonedx", name))
		if err != nil {
			t.Fatalf("read the CycloneDX schema: %v", err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// Their $ids: each refers to the others by name.
		if err := c.AddResource("http://cyclonedx.org/schema/"+name, doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	sch, err := c.Compile("http://cyclonedx.org/schema/bom-1.5.schema.json")
	if err != nil {
		t.Fatalf("CycloneDX 1.5 schema: %v", err)
	}
	return sch
}

// GitLab is GitLab's security report schema name ("container-scanning",
// "dependency-scanning", "secret-detection") of the given version, from
// report/testdata/gitlab-schemas (see its README). repoRoot is as for SARIF.
// A missing schema fails the test.
func GitLab(t testing.TB, repoRoot, version, name string) *jsonschema.Schema {
	t.Helper()
	file := name + "-report-format.json"
	data, err := os.ReadFile(filepath.Join(repoRoot, "report", "testdata", "gitlab-schemas", version, file))
	if err != nil {
		t.Fatalf("read the GitLab schema: %v", err)
	}
	return Compile(t, "gitlab-"+version+"-"+file, data)
}

// Validate checks the JSON instance against sch.
func Validate(t testing.TB, sch *jsonschema.Schema, instance []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(instance))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("output does not validate: %v", err)
	}
}
