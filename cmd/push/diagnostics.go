package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// renderDiagnostics prints each diagnostic as "file:line:col: severity:
// summary", the source line with the subject underlined, and the detail.
func renderDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, color bool) {
	sortDiagnostics(diags)
	for _, d := range diags {
		sev, paint := "error", "\x1b[1;31m"
		if d.Severity == hcl.DiagWarning {
			sev, paint = "warning", "\x1b[1;33m"
		}
		if !color {
			paint = ""
		}
		reset := ""
		if paint != "" {
			reset = "\x1b[0m"
		}
		pos := "push"
		if d.Subject != nil {
			s := d.Subject
			pos = fmt.Sprintf("%s:%d:%d", s.Filename, s.Start.Line, s.Start.Column)
		}
		fmt.Fprintf(w, "%s: %s%s%s: %s\n", pos, paint, sev, reset, d.Summary)
		if d.Subject != nil {
			if f := files[d.Subject.Filename]; f != nil {
				underline(w, f.Bytes, *d.Subject, paint, reset)
			}
		}
		if d.Detail != "" {
			fmt.Fprintf(w, "  %s\n", d.Detail)
		}
		fmt.Fprintln(w)
	}
	errs, warns := count(diags)
	if errs+warns > 0 {
		fmt.Fprintf(w, "%s, %s\n", plural(errs, "error"), plural(warns, "warning"))
	}
}

// underline prints the subject's first line with carets under it.
func underline(w io.Writer, src []byte, r hcl.Range, paint, reset string) {
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		if n != r.Start.Line {
			continue
		}
		line := strings.ReplaceAll(sc.Text(), "\t", " ")
		start := min(max(r.Start.Column-1, 0), len(line))
		end := len(line)
		if r.End.Line == r.Start.Line {
			end = min(max(r.End.Column-1, start+1), len(line))
		}
		width := max(end-start, 1)
		gutter := fmt.Sprintf("%5d | ", n)
		fmt.Fprintf(w, "%s%s\n", gutter, line)
		fmt.Fprintf(w, "%s| %s%s%s%s\n", strings.Repeat(" ", len(gutter)-2), strings.Repeat(" ", start), paint, strings.Repeat("^", width), reset)
		return
	}
}

func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		}
		return a.Start.Column < b.Start.Column
	})
}

func count(diags hcl.Diagnostics) (errs, warns int) {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// jsonDiagnostic is the versioned JSON form of a diagnostic.
type jsonDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *jsonRange `json:"range,omitempty"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

func diagnosticsJSON(diags hcl.Diagnostics) []jsonDiagnostic {
	sortDiagnostics(diags)
	out := []jsonDiagnostic{}
	for _, d := range diags {
		j := jsonDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			j.Severity = "warning"
		}
		if s := d.Subject; s != nil {
			j.Range = &jsonRange{Filename: s.Filename,
				Start: jsonPos{s.Start.Line, s.Start.Column, s.Start.Byte},
				End:   jsonPos{s.End.Line, s.End.Column, s.End.Byte}}
		}
		out = append(out, j)
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
