package ssh

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strconv"
)

// frame marks push's own lines in a command's stdout with a token new for
// every command, so that what a host's shell prints around them (a
// .bashrc that echoes, a ForceCommand banner, a logout script) can neither
// hide nor fake them: "push-TOKEN-WORD [ARG]" lines, and the helper's
// answer between "push-TOKEN-begin" and "push-TOKEN-end EXIT".
type frame struct{ prefix string }

func newFrame() frame {
	b := make([]byte, 12)
	rand.Read(b) // never fails (crypto/rand)
	return frame{prefix: "push-" + hex.EncodeToString(b) + "-"}
}

// mark is the marker line for word, as a shell word (no quoting needed).
func (f frame) mark(word string) string { return f.prefix + word }

// unframed is a command's stdout taken apart.
type unframed struct {
	marks   map[string]string // word → argument, for every marker seen
	answer  []byte            // between begin and end (or the end of output)
	begun   bool              // a begin marker was seen
	ended   bool              // an end marker followed it
	exit    int               // the end marker's exit status
	noise   string            // the first line printed outside push's lines
	noisyAt string            // "before" or "after" push's command
}

// parse finds f's markers in out; everything else is noise.
func (f frame) parse(out []byte) unframed {
	u := unframed{marks: map[string]string{}}
	prefix := []byte(f.prefix)
	endMark := []byte(f.mark("end "))
	rest := out
	noted := func(b []byte) {
		if u.noise == "" {
			if u.noise = firstLines(b, 1, 200); u.noise != "" {
				u.noisyAt = "before"
				if len(u.marks) > 0 {
					u.noisyAt = "after"
				}
			}
		}
	}
	for len(rest) > 0 {
		i := bytes.Index(rest, prefix)
		if i < 0 {
			noted(rest)
			break
		}
		noted(rest[:i])
		line := rest[i+len(prefix):]
		j := bytes.IndexByte(line, '\n')
		if j < 0 {
			j = len(line)
		}
		word, arg, _ := bytes.Cut(line[:j], []byte(" "))
		rest = line[min(j+1, len(line)):]
		u.marks[string(word)] = string(arg)
		switch string(word) {
		case "begin":
			u.begun = true
			k := bytes.Index(rest, endMark)
			if k < 0 {
				k = len(rest)
			}
			u.answer, rest = rest[:k], rest[k:]
		case "end":
			u.ended = u.begun
			if n, err := strconv.Atoi(string(arg)); err == nil {
				u.exit = n
			}
		}
	}
	return u
}
