package driftreport

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/kasmfleet/push/playbooks"
)

// ANSI styles for the terminal.
const (
	ansiReset = "\x1b[0m"
	ansiGreen = "\x1b[32m"
	ansiRed   = "\x1b[1;31m"
	ansiAmber = "\x1b[1;33m"
	ansiDim   = "\x1b[2m"
)

// WriteText writes r as a table for a terminal: a line per target with its
// status, under it a row per difference, and a summary line. Colors are
// ANSI escapes, written only when color is set. Control characters in the
// report's strings are dropped so a name cannot steer the terminal.
func WriteText(w io.Writer, r Report, color bool) error {
	tw := &textWriter{color: color}
	tw.header(r)
	kindW, nameW := 0, 0
	for _, t := range r.Targets {
		kindW = max(kindW, width(clean(t.Kind)))
		nameW = max(nameW, width(clean(t.Name)))
	}
	for _, t := range r.Targets {
		tw.target(t, kindW, nameW)
	}
	tw.summary(r.Summary())
	_, err := w.Write(tw.buf.Bytes())
	if err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}

type textWriter struct {
	buf   bytes.Buffer
	color bool
}

func (tw *textWriter) paint(style, s string) string {
	if !tw.color || s == "" {
		return s
	}
	return style + s + ansiReset
}

func (tw *textWriter) header(r Report) {
	parts := []string{"push check"}
	if r.Inventory != "" {
		parts = append(parts, "inventory "+clean(r.Inventory))
	}
	if !r.Generated.IsZero() {
		parts = append(parts, r.Generated.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	fmt.Fprintf(&tw.buf, "%s\n\n", tw.paint(ansiDim, strings.Join(parts, " · ")))
}

func (tw *textWriter) target(t playbooks.TargetDrift, kindW, nameW int) {
	st := statusOf(t)
	label := pad(clean(t.Kind), kindW) + "  " + pad(clean(t.Name), nameW)
	switch st {
	case playbooks.InSync:
		fmt.Fprintf(&tw.buf, "%s  %s\n", label, tw.paint(ansiGreen, "in sync"))
	case playbooks.Drifted:
		fmt.Fprintf(&tw.buf, "%s  %s  %s\n", label, tw.paint(ansiRed, "DRIFT"),
			plural(len(t.Drifts), "difference", "differences"))
	default:
		fmt.Fprintf(&tw.buf, "%s  %s  could not be observed\n", label, tw.paint(ansiAmber, "UNKNOWN"))
	}
	if t.Error != "" {
		fmt.Fprintf(&tw.buf, "    error: %s\n", clean(t.Error))
	}
	if len(t.Drifts) > 0 {
		tw.table(t.Drifts)
	}
}

// table writes a target's differences, aligned, indented under it.
func (tw *textWriter) table(ds []playbooks.Drift) {
	var b bytes.Buffer
	t := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(t, "COMPONENT\tOBJECT\tEXPECTED\tACTUAL\tAPPLY WOULD")
	for _, d := range ds {
		obj := clean(d.Object)
		if d.Extra {
			obj += " [extra]"
		}
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\n", dash(clean(d.Component)), dash(obj),
			dash(clean(d.Expected)), dash(clean(d.Actual)), dash(clean(d.Action)))
	}
	t.Flush()
	for i, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		line = strings.TrimRight(line, " ")
		if i == 0 {
			line = tw.paint(ansiDim, line)
		}
		fmt.Fprintf(&tw.buf, "    %s\n", line)
	}
}

func (tw *textWriter) summary(s Summary) {
	line := fmt.Sprintf("%s: %d in sync, %d drifted, %d unknown; %s",
		plural(s.Targets, "target", "targets"), s.InSync, s.Drifted, s.Unknown,
		plural(s.Drifts, "difference", "differences"))
	if s.Extra > 0 {
		line += fmt.Sprintf(" (%d extra)", s.Extra)
	}
	style := ansiGreen
	switch s.Status() {
	case playbooks.Drifted:
		style = ansiRed
	case playbooks.Unknown:
		style = ansiAmber
	}
	fmt.Fprintf(&tw.buf, "\n%s\n", tw.paint(style, line))
}

// clean makes s one line without control characters: line breaks and tabs
// become spaces, other control characters (escape sequences, bidi overrides) are dropped.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func width(s string) int { return utf8.RuneCountInString(s) }

func pad(s string, w int) string {
	if n := width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}
