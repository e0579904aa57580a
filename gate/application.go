package gate

import (
	"path"
	"path/filepath"

	"golang.org/x/mod/modfile"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/safefile"
	"github.com/secgate/secgate/scanners"
)

// applications returns, for VEX, the application a finding outside images
// is in, as a package URL: for a go.mod's finding the Go module it
// declares ("pkg:golang/example.com/app"), read once per go.mod; "" for
// the others, whose lockfiles do not name the application.
func applications(targets []scanners.Target) func(*findings.Finding) string {
	dirs := map[string]string{} // target name → the directory its paths are relative to
	for _, t := range targets {
		switch t.Kind {
		case findings.TargetDirectory:
			dirs[t.Name] = t.Path
		case findings.TargetFile:
			dirs[t.Name] = filepath.Dir(t.Path)
		}
	}
	seen := map[[2]string]string{}
	return func(f *findings.Finding) string {
		if f.Image != nil || path.Base(f.Location.Path) != "go.mod" {
			return ""
		}
		dir, ok := dirs[f.Location.Target]
		if !ok {
			return ""
		}
		key := [2]string{f.Location.Target, f.Location.Path}
		if app, ok := seen[key]; ok {
			return app
		}
		app := ""
		// The scanner read this go.mod already: an error here leaves the
		// application unknown, which VEX matching treats as such.
		if data, err := safefile.Read(dir, filepath.Join(dir, filepath.FromSlash(f.Location.Path)), safefile.GoMod); err == nil {
			if mod := modfile.ModulePath(data); mod != "" {
				app = "pkg:golang/" + mod
			}
		}
		seen[key] = app
		return app
	}
}
