package container

import (
	"bufio"
	"fmt"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/secgate/secgate/findings"
	"github.com/secgate/secgate/safefile"
)

// instruction is one Dockerfile instruction and the line it starts on.
type instruction struct {
	line    int
	keyword string // upper case: FROM, RUN, COPY, ...
	args    string
}

// dockerfile is the last build stage of a Dockerfile: the one the image is.
type dockerfile struct {
	from         instruction
	instructions []instruction
}

// parseDockerfile reads the instructions of a Dockerfile's last stage,
// joining continuation lines and skipping comments.
// dir is the repository, as for safefile.Open.
func parseDockerfile(dir, path string) (*dockerfile, error) {
	f, err := safefile.Open(dir, path, safefile.Dockerfile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var all []instruction
	var cur *instruction
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if cur == nil && (text == "" || strings.HasPrefix(text, "#")) {
			continue
		}
		if cur != nil && strings.HasPrefix(text, "#") {
			continue // comments inside a continued instruction
		}
		cont := strings.HasSuffix(text, "\\")
		text = strings.TrimSuffix(text, "\\")
		if cur == nil {
			kw, args, _ := strings.Cut(text, " ")
			cur = &instruction{line: n, keyword: strings.ToUpper(kw), args: strings.TrimSpace(args)}
		} else {
			cur.args += " " + text
		}
		if !cont {
			all = append(all, *cur)
			cur = nil
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read dockerfile %s: %w", path, err)
	}
	if cur != nil {
		all = append(all, *cur)
	}
	df := &dockerfile{}
	for _, in := range all {
		if in.keyword == "FROM" {
			df.from, df.instructions = in, nil
			continue
		}
		df.instructions = append(df.instructions, in)
	}
	if df.from.keyword == "" {
		return nil, fmt.Errorf("read dockerfile %s: no FROM instruction", path)
	}
	return df, nil
}

// createsLayer reports the instructions that add a filesystem layer.
func createsLayer(keyword string) bool {
	return keyword == "RUN" || keyword == "COPY" || keyword == "ADD"
}

// locator maps layers to Dockerfile lines, when a Dockerfile is given.
type locator struct {
	df      *dockerfile
	dfPath  string // relative to the report root
	history []v1.History
}

// place sets f's Dockerfile line to the line of the instruction that
// created layer (the FROM line for nil: a layer of no instruction), unless
// it has one already.
//
// Layers map to instructions by position: the last layer-creating history
// entries of the image are the last stage's RUN, COPY and ADD instructions,
// in order; the layers before them come from the base image, placed at the
// FROM line. A history command that plainly disagrees with the instruction
// it is paired with (a RUN whose command text differs) falls back to FROM,
// rather than pointing at a wrong line.
func (l *locator) place(f *findings.Finding, layer *findings.Layer) {
	if l.df == nil || f.Location.Dockerfile != nil {
		return
	}
	f.Location.Dockerfile = &findings.FileLine{Path: l.dfPath, Line: l.lineOf(layer)}
}

func (l *locator) lineOf(layer *findings.Layer) int {
	if layer == nil {
		return l.df.from.line
	}
	var own []instruction
	for _, in := range l.df.instructions {
		if createsLayer(in.keyword) {
			own = append(own, in)
		}
	}
	var commands []string // history entries that created a layer, in order
	for _, h := range l.history {
		if !h.EmptyLayer {
			commands = append(commands, h.CreatedBy)
		}
	}
	base := len(commands) - len(own)
	i := layer.Index - base
	if i < 0 || i >= len(own) {
		return l.df.from.line
	}
	in := own[i]
	if in.keyword == "RUN" && layer.Index < len(commands) && !sameCommand(commands[layer.Index], in.args) {
		return l.df.from.line
	}
	return in.line
}

var (
	spaces       = regexp.MustCompile(`\s+`)
	historyNoise = regexp.MustCompile(`^(RUN\s+)?(\|\d+ [^ ]+ )?(/bin/sh -c\s+)?(#\(nop\)\s+)?`)
)

// sameCommand compares a history entry with a RUN instruction's command,
// ignoring how builders decorate history ("/bin/sh -c", "# buildkit",
// build-arg prefixes) and white space.
func sameCommand(history, run string) bool {
	h := strings.TrimSuffix(strings.TrimSpace(history), "# buildkit")
	h = historyNoise.ReplaceAllString(strings.TrimSpace(h), "")
	norm := func(s string) string { return strings.TrimSpace(spaces.ReplaceAllString(s, " ")) }
	return norm(h) == norm(run) || strings.Contains(norm(h), norm(run))
}
