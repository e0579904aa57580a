// Command imagepkgs prints the packages secgate's container scanner
// extracts from an image, one JSON object a line (ecosystem, name, version,
// path), for comparing package lists with other scanners: secgate's report
// carries only their count. It runs the real scanner (package container)
// with a matcher that records the packages it is asked about and finds
// nothing, so the list is exactly what a scan matches; the packages the
// scanner cannot match (no ecosystem or version) are counted on stderr.
//
//	go run ./bench/imagepkgs docker-archive:image.tar > packages.jsonl
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/google/osv-scalibr/extractor"
	osvschema "github.com/ossf/osv-schema/bindings/go/osvschema"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/scanners"
	"github.com/secgate/secgate/scanners/container"
	"github.com/secgate/secgate/scanners/secrets"
)

type recorder struct{ pkgs []map[string]string }

func (r *recorder) Match(_ context.Context, pkgs []*extractor.Package) ([][]*osvschema.Vulnerability, error) {
	for _, p := range pkgs {
		r.pkgs = append(r.pkgs, map[string]string{"ecosystem": p.Ecosystem().String(), "name": p.Name, "version": p.Version, "path": p.Location.PathOrEmpty()})
	}
	return make([][]*osvschema.Vulnerability, len(pkgs)), nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: imagepkgs IMAGE-REF")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "imagepkgs:", err)
		os.Exit(1)
	}
}

func run(ref string) error {
	rec := &recorder{}
	ty := container.NewType(container.Options{MaxSecretFileSize: 1}, scanners.Env{Matcher: rec}, secrets.NewRuleSource("", ""))
	s, err := ty.New(scanners.Target{Kind: findings.TargetImage, Name: ref, Path: ref})
	if err != nil {
		return err
	}
	res, err := s.Scan(context.Background())
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for _, p := range rec.pkgs {
		if err := enc.Encode(p); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "imagepkgs: %d packages matched, %d unmatchable\n", len(rec.pkgs), res.Scan.Stats["packages_unmatchable"])
	return nil
}
