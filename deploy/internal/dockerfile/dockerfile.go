// Package dockerfile parses a Dockerfile into stages and instructions, so tests can check what
// an image is built from and how, without a Docker engine.
//
// It implements the parts of the Dockerfile syntax (docs.docker.com/reference/dockerfile) that
// this project's Dockerfile may use: parser directives (syntax, escape), comments, line
// continuations, instruction flags (--mount=..., --from=..., --chown=...), exec (JSON) and shell
// forms, ARG before the first FROM, and ${VAR} / $VAR expansion in FROM. Heredocs (<<EOF) are
// refused with an error rather than misread.
package dockerfile

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// maxLine bounds one physical line; a Dockerfile line is rarely longer than a few hundred bytes.
const maxLine = 1 << 20

// File is a parsed Dockerfile.
type File struct {
	// Directives are the parser directives of the first lines (# syntax=..., # escape=...),
	// keys lower-cased.
	Directives map[string]string
	// GlobalArgs are the ARG instructions before the first FROM: the only variables FROM sees.
	GlobalArgs []Instruction
	// Stages in file order; the last is the default build target.
	Stages []*Stage
}

// Stage is one FROM and the instructions after it.
type Stage struct {
	// Name is the stage's name (FROM image AS name), lower-cased as Docker does; "" if unnamed.
	Name string
	// Base is the image reference as written (variables not expanded).
	Base string
	// From is the FROM instruction itself.
	From Instruction
	// Instructions follow FROM, in order.
	Instructions []Instruction
}

// Instruction is one logical instruction, continuations joined.
type Instruction struct {
	// Line is the 1-based line on which the instruction starts.
	Line int
	// Cmd is the instruction keyword, upper-cased: FROM, RUN, COPY ...
	Cmd string
	// Flags are the leading --name=value options (--mount may repeat), in order.
	Flags []Flag
	// JSON reports the exec form (["a", "b"]).
	JSON bool
	// Args: in exec form the array's elements; in shell form of RUN, CMD, ENTRYPOINT and SHELL
	// one element, the command line; otherwise the whitespace-separated words.
	Args []string
}

// Flag is one --name=value option of an instruction.
type Flag struct{ Name, Value string }

// FlagValues returns the values of every flag called name.
func (in Instruction) FlagValues(name string) []string {
	var vs []string
	for _, f := range in.Flags {
		if f.Name == name {
			vs = append(vs, f.Value)
		}
	}
	return vs
}

// SyntaxError locates a problem in the Dockerfile.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("dockerfile: line %d: %s", e.Line, e.Msg) }

// commandForms are the instructions whose shell form is one command line, not words.
var commandForms = map[string]bool{"RUN": true, "CMD": true, "ENTRYPOINT": true, "SHELL": true, "HEALTHCHECK": true}

// known lists the instructions of the Dockerfile reference; anything else is a syntax error.
var known = map[string]bool{
	"FROM": true, "RUN": true, "CMD": true, "LABEL": true, "EXPOSE": true, "ENV": true, "ADD": true,
	"COPY": true, "ENTRYPOINT": true, "VOLUME": true, "USER": true, "WORKDIR": true, "ARG": true,
	"ONBUILD": true, "STOPSIGNAL": true, "HEALTHCHECK": true, "SHELL": true, "MAINTAINER": true,
}

var (
	directiveRE = regexp.MustCompile(`^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$`)
	heredocRE   = regexp.MustCompile(`<<-?["']?[A-Za-z_]`)
)

// Parse reads a Dockerfile.
func Parse(r io.Reader) (*File, error) {
	lines, err := readLines(r)
	if err != nil {
		return nil, err
	}
	f := &File{Directives: map[string]string{}}
	escape := byte('\\')
	i := 0
	// Parser directives: only at the very top, before any comment, blank line or instruction.
	for ; i < len(lines); i++ {
		m := directiveRE.FindStringSubmatch(lines[i])
		if m == nil {
			break
		}
		key := strings.ToLower(m[1])
		if _, dup := f.Directives[key]; dup {
			return nil, &SyntaxError{i + 1, fmt.Sprintf("parser directive %q given twice", key)}
		}
		f.Directives[key] = m[2]
		if key == "escape" {
			if m[2] != `\` && m[2] != "`" {
				return nil, &SyntaxError{i + 1, fmt.Sprintf("escape must be \\ or `, got %q", m[2])}
			}
			escape = m[2][0]
		}
	}
	for i < len(lines) {
		start := i
		text, next, err := logicalLine(lines, i, escape)
		if err != nil {
			return nil, err
		}
		i = next
		if text == "" {
			continue
		}
		in, err := parseInstruction(start+1, text)
		if err != nil {
			return nil, err
		}
		if err := f.add(in); err != nil {
			return nil, err
		}
	}
	if len(f.Stages) == 0 {
		return nil, &SyntaxError{len(lines), "no FROM instruction"}
	}
	return f, nil
}

func readLines(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	var lines []string
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dockerfile: reading: %w", err)
	}
	return lines, nil
}

// logicalLine joins lines[i:] into one instruction: comment lines are dropped (also inside a
// continuation, as Docker does), a line ending in the escape character continues on the next.
// It returns the text ("" for a blank or comment line) and the index of the next line.
func logicalLine(lines []string, i int, escape byte) (string, int, error) {
	var b strings.Builder
	for ; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			if b.Len() == 0 {
				return "", i + 1, nil
			}
			continue
		}
		if trimmed == "" && b.Len() > 0 {
			continue // empty lines inside a continuation are skipped
		}
		body := strings.TrimRight(line, " \t")
		if n := len(body); n > 0 && body[n-1] == escape {
			b.WriteString(body[:n-1])
			continue
		}
		b.WriteString(line)
		return strings.TrimSpace(b.String()), i + 1, nil
	}
	if b.Len() > 0 {
		return "", i, &SyntaxError{len(lines), "the file ends inside a line continuation"}
	}
	return "", i, nil
}

func parseInstruction(line int, text string) (Instruction, error) {
	word, rest, _ := strings.Cut(text, " ")
	if w, r, ok := strings.Cut(text, "\t"); ok && len(w) < len(word) {
		word, rest = w, r
	}
	in := Instruction{Line: line, Cmd: strings.ToUpper(word)}
	if !known[in.Cmd] {
		return in, &SyntaxError{line, fmt.Sprintf("unknown instruction %q", word)}
	}
	rest = strings.TrimSpace(rest)
	if heredocRE.MatchString(rest) {
		return in, &SyntaxError{line, "heredocs (<<EOF) are not supported by this parser: write the command on continuation lines"}
	}
	for strings.HasPrefix(rest, "--") {
		tok, after, _ := strings.Cut(rest, " ")
		name, value, _ := strings.Cut(strings.TrimPrefix(tok, "--"), "=")
		if name == "" {
			return in, &SyntaxError{line, fmt.Sprintf("malformed flag %q", tok)}
		}
		in.Flags = append(in.Flags, Flag{Name: name, Value: value})
		rest = strings.TrimSpace(after)
	}
	if strings.HasPrefix(rest, "[") {
		var arr []string
		if err := json.Unmarshal([]byte(rest), &arr); err == nil {
			in.JSON, in.Args = true, arr
			return in, nil
		}
		// Not a JSON array of strings: Docker then runs it as a shell command line.
	}
	if commandForms[in.Cmd] {
		if rest != "" {
			in.Args = []string{rest}
		}
		return in, nil
	}
	in.Args = strings.Fields(rest)
	return in, nil
}

func (f *File) add(in Instruction) error {
	if in.Cmd == "FROM" {
		st := &Stage{From: in}
		switch len(in.Args) {
		case 1:
		case 3:
			if !strings.EqualFold(in.Args[1], "AS") {
				return &SyntaxError{in.Line, fmt.Sprintf("FROM: expected AS, got %q", in.Args[1])}
			}
			st.Name = strings.ToLower(in.Args[2])
			if f.Stage(st.Name) != nil {
				return &SyntaxError{in.Line, fmt.Sprintf("stage name %q used twice", st.Name)}
			}
		default:
			return &SyntaxError{in.Line, "FROM takes an image and optionally AS name"}
		}
		st.Base = in.Args[0]
		f.Stages = append(f.Stages, st)
		return nil
	}
	if len(f.Stages) == 0 {
		if in.Cmd != "ARG" {
			return &SyntaxError{in.Line, fmt.Sprintf("%s before the first FROM (only ARG may come before it)", in.Cmd)}
		}
		f.GlobalArgs = append(f.GlobalArgs, in)
		return nil
	}
	st := f.Stages[len(f.Stages)-1]
	st.Instructions = append(st.Instructions, in)
	return nil
}

// Stage returns the stage called name (case-insensitive), or nil.
func (f *File) Stage(name string) *Stage {
	for _, s := range f.Stages {
		if s.Name != "" && s.Name == strings.ToLower(name) {
			return s
		}
	}
	return nil
}

// Final is the default build target: the last stage.
func (f *File) Final() *Stage { return f.Stages[len(f.Stages)-1] }

// Find returns the stage's instructions called cmd (upper-case), in order.
func (s *Stage) Find(cmd string) []Instruction {
	var out []Instruction
	for _, in := range s.Instructions {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

var varRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// BaseImage expands the variables of the stage's base image with the global ARG defaults,
// overridden by buildArgs (docker build --build-arg). A variable with no value is an error.
func (f *File) BaseImage(s *Stage, buildArgs map[string]string) (string, error) {
	vals := map[string]string{}
	for _, a := range f.GlobalArgs {
		for _, arg := range a.Args {
			name, def, _ := strings.Cut(arg, "=")
			vals[name] = strings.Trim(def, `"`)
		}
	}
	for k, v := range buildArgs {
		vals[k] = v
	}
	var missing []string
	out := varRE.ReplaceAllStringFunc(s.Base, func(m string) string {
		sub := varRE.FindStringSubmatch(m)
		name := sub[1] + sub[2]
		v, ok := vals[name]
		if !ok || v == "" {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", &SyntaxError{s.From.Line, fmt.Sprintf("FROM %s: no value for %s (declare it with ARG before the first FROM)", s.Base, strings.Join(missing, ", "))}
	}
	return out, nil
}
