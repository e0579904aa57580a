package scanners

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/secgate/secgate/findings"
)

// PathTarget is the target of a directory or a file to scan, named
// relative to root.
func PathTarget(path string, root findings.Root) (Target, error) {
	fi, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named once
		}
		return Target{}, fmt.Errorf("scan %s: %w", path, err)
	}
	kind := findings.TargetDirectory
	if !fi.IsDir() {
		kind = findings.TargetFile
	}
	name, _ := root.Rel(path)
	return Target{Kind: kind, Name: name, Path: path}, nil
}

// OnPath reports whether t is a directory or a file, the targets of the
// scanners that read a checkout.
func (t Target) OnPath() bool {
	return t.Kind == findings.TargetDirectory || t.Kind == findings.TargetFile
}
