package driftreport

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/kasmfleet/push/playbooks"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"` // xmlText: CDATA keeps line breaks readable
}

// WriteJUnit writes r as JUnit XML for CI systems: a test suite per target
// kind (in order of first appearance), and in it a test case per target
// and component (Components, then any other a difference names). A
// component without differences passes; one with differences fails, the
// details in the failure; every component of an unknown target is an
// error.
func WriteJUnit(w io.Writer, r Report) error {
	doc := junitSuites{Name: "push check"}
	index := map[string]int{}
	for _, t := range r.Targets {
		i, ok := index[t.Kind]
		if !ok {
			i = len(doc.Suites)
			index[t.Kind] = i
			doc.Suites = append(doc.Suites, newSuite(t.Kind, r))
		}
		s := &doc.Suites[i]
		for _, c := range junitCases(t) {
			s.Cases = append(s.Cases, c)
			s.Tests++
			if c.Failure != nil {
				s.Failures++
			}
			if c.Error != nil {
				s.Errors++
			}
		}
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	if _, err := fmt.Fprintf(w, "%s%s\n", xml.Header, out); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}

func newSuite(kind string, r Report) junitSuite {
	s := junitSuite{Name: suiteName(kind), Time: "0"}
	if !r.Generated.IsZero() {
		s.Timestamp = r.Generated.UTC().Format("2006-01-02T15:04:05")
	}
	if r.Inventory != "" {
		s.Properties = []junitProperty{{Name: "inventory", Value: r.Inventory}}
	}
	return s
}

func suiteName(kind string) string {
	switch kind {
	case KindHost:
		return "push check: hosts"
	case KindVSphere:
		return "push check: vSphere trunks"
	case KindWorkspace:
		return "push check: Kasm workspaces"
	}
	return "push check: " + kind
}

// junitCases is t's test cases, one per component.
func junitCases(t playbooks.TargetDrift) []junitCase {
	st := statusOf(t)
	var cases []junitCase
	for _, comp := range componentsOf(t) {
		c := junitCase{Name: comp, Classname: t.Name, Time: "0"}
		var ds []playbooks.Drift
		for _, d := range t.Drifts {
			if d.Component == comp {
				ds = append(ds, d)
			}
		}
		switch {
		case st == playbooks.Unknown:
			msg := "could not be observed"
			if t.Error != "" {
				msg += ": " + t.Error
			}
			note := fmt.Sprintf("%s could not be observed: its %s is unknown, not in sync.", t.Name, comp)
			c.Error = &junitProblem{Message: msg, Type: "unknown", Text: problemText(note, t.Error, ds)}
		case len(ds) > 0:
			msg := fmt.Sprintf("%s: %s", comp, plural(len(ds), "difference", "differences"))
			c.Failure = &junitProblem{Message: msg, Type: "drift", Text: problemText("", "", ds)}
		}
		cases = append(cases, c)
	}
	return cases
}

// problemText is the body of a failure or error: a note, the error, then
// a paragraph per difference.
func problemText(note, errText string, ds []playbooks.Drift) string {
	var b strings.Builder
	if note != "" {
		fmt.Fprintf(&b, "%s\n", note)
	}
	if errText != "" {
		fmt.Fprintf(&b, "error: %s\n", errText)
	}
	for _, d := range ds {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		obj := d.Object
		if d.Extra {
			obj += " (extra: managed by push, no longer in the inventory)"
		}
		fmt.Fprintf(&b, "%s %s\n  expected:    %s\n  actual:      %s\n  apply would: %s\n",
			d.Component, obj, dash(d.Expected), dash(d.Actual), dash(d.Action))
	}
	return xmlText(b.String())
}

// xmlText replaces the characters XML 1.0 cannot hold (most control
// characters) with U+FFFD: CDATA, unlike escaped text, is written as is.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return '\uFFFD'
		}
		return r
	}, s)
}
