package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/report"
)

// maxAnnotations bounds the workflow-command annotations of one run
// (GitHub shows at most 10 errors and 10 warnings per step anyway).
const maxAnnotations = 50

// actionsEnv is GitHub Actions' environment: GITHUB_ACTIONS=true, and the
// files the step's outputs and summary go to.
type actionsEnv struct {
	enabled          bool
	outputs, summary string
}

func actionsFromEnv() actionsEnv {
	return actionsEnv{
		enabled: os.Getenv("GITHUB_ACTIONS") == "true",
		outputs: os.Getenv("GITHUB_OUTPUT"),
		summary: os.Getenv("GITHUB_STEP_SUMMARY"),
	}
}

// publish writes, in GitHub Actions, the annotations of the denied and
// warned findings (workflow commands on stderr: the runner reads both
// streams, and stdout holds the report), appends the Markdown summary to
// the step summary, and sets the step's outputs: result (pass, fail or
// error), exit-code, findings and sarif-file.
func (a actionsEnv) publish(stderr io.Writer, doc *findings.Document, sarifFile string, scanErr error) error {
	code := exitCode(scanErr)
	result := map[int]string{exitPass: "pass", exitDenied: "fail", exitError: "error"}[code]
	var errs []error
	if doc != nil {
		for _, line := range report.GitHubAnnotations(doc, maxAnnotations) {
			fmt.Fprintln(stderr, line)
		}
		if a.summary != "" {
			md, err := report.New("markdown", report.Options{})
			if err == nil {
				var buf bytes.Buffer
				if err = md.Output(&buf, doc); err == nil {
					err = appendFile(a.summary, buf.Bytes())
				}
			}
			errs = append(errs, err)
		}
	} else if a.summary != "" {
		errs = append(errs, appendFile(a.summary, []byte("### ⚠️ secgate: ERROR — the gate could not decide\n\n```\n"+strings.ReplaceAll(clean(scanErr.Error()), "```", "`\u200b``")+"\n```\n")))
	}
	if a.outputs != "" {
		n := 0
		if doc != nil {
			n = len(doc.Findings)
		}
		if strings.ContainsAny(sarifFile, "\r\n") {
			sarifFile = "" // would forge other outputs
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "result=%s\nexit-code=%d\nfindings=%s\nsarif-file=%s\n", result, code, strconv.Itoa(n), sarifFile)
		errs = append(errs, appendFile(a.outputs, b.Bytes()))
	}
	return errors.Join(errs...)
}

func appendFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
