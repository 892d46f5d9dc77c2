package driftreport

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"unicode"

	"github.com/kasmfleet/push/playbooks"
)

//go:embed report.html.tmpl
var htmlTemplate string

//go:embed report.css
var htmlCSS string

// openInSyncMax is the most in-sync targets the page lists unfolded; a
// bigger fleet's are one click away, so its problems stay on top.
const openInSyncMax = 60

// htmlView is what the page template shows.
type htmlView struct {
	Title, Status, Headline, Subline string
	Inventory, Generated             string
	Tiles                            []htmlTile
	Targets                          []htmlTarget // every target, in the report's order
	Sections                         []htmlTarget // unknown, then drifted targets
	InSync                           []htmlTarget
	OpenInSync                       bool // list the in-sync targets unfolded
	Version                          int
	CSS                              template.CSS
}

type htmlTile struct {
	Label, Class, Note string
	N                  int
}

type htmlTarget struct {
	ID, Name, KindLabel string
	Class, StatusLabel  string
	What, Error         string
	Unknown, Section    bool // Section: the page has a section for it
	Drifts              []playbooks.Drift
}

// WriteHTML writes r as one self-contained HTML page: inline CSS, no
// scripts, no fonts or images to fetch. A fleet summary on top, then a
// section per unknown target with its error, and per drifted target with
// its differences. Every string
// from the report is escaped by html/template.
func WriteHTML(w io.Writer, r Report) error {
	t, err := template.New("report").Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	if err := t.Execute(w, newHTMLView(r)); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

func newHTMLView(r Report) htmlView {
	s := r.Summary()
	v := htmlView{Status: string(s.Status()), Inventory: printable(r.Inventory), Version: SchemaVersion,
		CSS: template.CSS(htmlCSS)}
	if !r.Generated.IsZero() {
		v.Generated = r.Generated.UTC().Format("2006-01-02 15:04 UTC")
	}
	v.Headline, v.Subline = headline(s)
	v.Title = "push check: " + v.Headline
	v.Tiles = []htmlTile{
		{Label: "targets", N: s.Targets},
		{Label: "in sync", N: s.InSync, Class: "in-sync"},
		{Label: "drifted", N: s.Drifted, Class: "drift"},
		{Label: "unknown", N: s.Unknown, Class: "unknown"},
		{Label: "differences", N: s.Drifts, Class: "drift"},
	}
	if s.Extra > 0 {
		v.Tiles[4].Note = plural(s.Extra, "extra object", "extra objects")
	}
	for i := range v.Tiles {
		if v.Tiles[i].N == 0 && v.Tiles[i].Class != "" {
			v.Tiles[i].Class += " zero"
		}
	}
	// Sections: unknown targets first (the worse news, and short), then
	// drifted ones, each in the report's order.
	var drifted []htmlTarget
	for i, t := range r.Targets {
		ht := newHTMLTarget(i, t)
		v.Targets = append(v.Targets, ht)
		switch {
		case ht.Unknown:
			v.Sections = append(v.Sections, ht)
		case ht.Section:
			drifted = append(drifted, ht)
		default:
			v.InSync = append(v.InSync, ht)
		}
	}
	v.Sections = append(v.Sections, drifted...)
	v.OpenInSync = len(v.InSync) <= openInSyncMax
	return v
}

// headline is the banner's title and subtitle.
func headline(s Summary) (string, string) {
	var parts []string
	for _, c := range []struct {
		n    int
		what string
	}{{s.InSync, "in sync"}, {s.Drifted, "drifted"}, {s.Unknown, "unknown"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	parts = append(parts, plural(s.Drifts, "difference", "differences"))
	counts := strings.Join(parts, " · ")
	drift := fmt.Sprintf("Drift on %d of %s", s.Drifted, plural(s.Targets, "target", "targets"))
	switch {
	case s.Unknown > 0 && s.Drifted > 0:
		return fmt.Sprintf("%s, %d could not be checked", drift, s.Unknown), counts
	case s.Unknown > 0:
		return fmt.Sprintf("%d of %s could not be checked", s.Unknown, plural(s.Targets, "target", "targets")), counts
	case s.Drifted > 0:
		return drift, counts
	}
	if s.Targets == 0 {
		return "Nothing to check", "the report lists no targets"
	}
	return "In sync", fmt.Sprintf("all %s match the inventory", plural(s.Targets, "target", "targets"))
}

func newHTMLTarget(i int, t playbooks.TargetDrift) htmlTarget {
	st := statusOf(t)
	ht := htmlTarget{ID: fmt.Sprintf("t%d", i+1), Name: printable(t.Name), KindLabel: printable(kindLabel(t.Kind)),
		Class: string(st), Error: printable(t.Error)}
	for _, d := range t.Drifts {
		ht.Drifts = append(ht.Drifts, playbooks.Drift{Component: printable(d.Component), Object: printable(d.Object),
			Expected: printable(d.Expected), Actual: printable(d.Actual), Action: printable(d.Action), Extra: d.Extra})
	}
	switch st {
	case playbooks.InSync:
		ht.StatusLabel = "in sync"
	case playbooks.Drifted:
		ht.StatusLabel, ht.Section = "drift", true
		ht.What = plural(len(t.Drifts), "difference", "differences")
	default:
		ht.StatusLabel, ht.Section, ht.Unknown = "unknown", true, true
		ht.What = "not observed"
	}
	return ht
}

func kindLabel(kind string) string {
	switch kind {
	case KindVSphere:
		return "vSphere trunk"
	case KindWorkspace:
		return "Kasm workspace"
	}
	return kind
}

// printable drops the control characters a page has no use for (escape
// sequences, NUL, bidi overrides), keeping line breaks and tabs.
// html/template escapes markup; this keeps what is left readable and
// honest.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r):
			return -1
		}
		return r
	}, s)
}
