package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	govex "github.com/openvex/go-vex/pkg/vex"
	"github.com/spf13/cobra"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/safefile"
	"github.com/secgate/secgate/vex"
)

func newVEXCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		input, output, author, justification, timestamp string
		quiet                                           bool
	)
	cmd := &cobra.Command{
		Use:   "vex --input REPORT.json [-o FILE]",
		Short: "Write the findings a report's policy waived as an OpenVEX document",
		Long: `Vex reads a findings document written by secgate scan --format json and writes
an OpenVEX 0.2.0 document of the vulnerability findings the policy waived, by a
waiver or by a VEX statement: one statement per advisory (with its aliases)
and what is said of it, the package's URL as the product (for a finding in an
image, the image with the package as subcomponent).

A finding a waiver accepted is not_affected, with --justification (a waiver
states its reason, the impact statement, not OpenVEX's justification); one
waived by its VEX statement keeps that statement's status (not_affected or
fixed), justification and text. Waived findings that are no vulnerability, or
whose package has no package URL, are left out and listed on stderr.

The output depends on the report alone: the timestamp is the latest advisory
date of its findings (or --timestamp), the @id a hash of the content, so the
same report gives the same bytes. Fed back to secgate scan --vex, the document
waives the same findings. A report in which nothing could be stated writes no
document and exits 0.`,
		Example: `  secgate scan --offline-db ~/osv -f json -o secgate.json .
  secgate vex --input secgate.json -o secgate.openvex.json
  secgate scan --offline-db ~/osv --vex secgate.openvex.json .`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if input == "" {
				return errors.New("--input is required")
			}
			opts := vex.DocumentOptions{Author: author, Justification: justification, Tooling: "secgate " + buildVersion()}
			if timestamp != "" {
				t, err := time.Parse(time.RFC3339, timestamp)
				if err != nil {
					return fmt.Errorf("invalid --timestamp %q: want RFC 3339 (2026-01-02T03:04:05Z)", timestamp)
				}
				opts.Timestamp = t
			}
			doc, err := readReport(input)
			if err != nil {
				return err
			}
			v, skipped, err := vex.Document(doc, opts)
			for _, s := range skipped {
				if !quiet {
					say(stderr, "secgate: left out %s (%s): %s", s.RuleID, s.ID, s.Reason)
				}
			}
			if errors.Is(err, vex.ErrNothingWaived) {
				if !quiet {
					say(stderr, "secgate: %s in %s: no VEX document written", err, input)
				}
				return nil
			}
			if err != nil {
				return fmt.Errorf("write VEX of %s: %w", input, err)
			}
			var buf bytes.Buffer
			if err := vex.Write(&buf, v); err != nil {
				return err
			}
			if err := writeReports(cmd.Context(), []reportOutput{{format: "openvex", file: output}}, [][]byte{buf.Bytes()}, stdout); err != nil {
				return err
			}
			if !quiet {
				say(stderr, "secgate: %d VEX statements about %d waived findings", len(v.Statements), countStated(v))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&input, "input", "i", "", "the JSON report (`FILE`) of secgate scan --format json")
	fl.StringVarP(&output, "output", "o", "", "write the OpenVEX document to `FILE` instead of stdout")
	fl.StringVar(&author, "author", vex.DefaultAuthor, "the document's `author`")
	fl.StringVar(&justification, "justification", string(govex.InlineMitigationsAlreadyExist), "OpenVEX `justification` of the not_affected status of findings a waiver accepted: "+strings.Join(govex.Justifications(), ", "))
	fl.StringVar(&timestamp, "timestamp", "", "the document's `time` (RFC 3339; default the report's latest advisory date)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "nothing on stderr but errors")
	return cmd
}

// countStated counts the products of the statements: the findings stated,
// less the repeats of one package.
func countStated(v *govex.VEX) int {
	n := 0
	for _, s := range v.Statements {
		n += len(s.Products)
	}
	return n
}

// readReport reads a findings document written by secgate scan --format
// json (unknown fields are an error: a document of another tool, or of a
// newer secgate, is not silently misread).
func readReport(path string) (*findings.Document, error) {
	data, err := safefile.Read("", path, safefile.Report)
	if err != nil {
		return nil, err
	}
	var doc findings.Document
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	if doc.SchemaVersion != findings.SchemaVersion {
		return nil, fmt.Errorf("read report %s: schema_version %d, want %d", path, doc.SchemaVersion, findings.SchemaVersion)
	}
	return &doc, nil
}
