package driftreport

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/kasmfleet/push/playbooks"
)

// junitDoc is what a CI system reads of the JUnit file.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, r Report) junitDoc {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit output is not XML: %v\n%s", err, b.Bytes())
	}
	return doc
}

func TestJUnitCounts(t *testing.T) {
	const hostCases, vsphereCases = 6, 2
	tests := []struct {
		fixture                  string
		tests, failures, errors  int
		suites                   []string
		failingCase, failingHost string // one failing case to look for
	}{
		{"in-sync", 3*hostCases + vsphereCases, 0, 0, []string{"push check: vSphere trunks", "push check: hosts"}, "", ""},
		// kasm-agent-2: Docker network, SNAT; kasm-agent-3: trunk NIC, 8021q, Docker network (extra).
		{"drift", 3 * hostCases, 5, 0, []string{"push check: hosts"}, "SNAT", "kasm-agent-2"},
		// Every component of the unreachable host is an error.
		{"unknown", 3 * hostCases, 0, hostCases, []string{"push check: hosts"}, "", ""},
		{"vsphere", 2*hostCases + vsphereCases, 2, 0, []string{"push check: vSphere trunks", "push check: hosts"}, "VM NIC", "kasm"},
		// vsphere 2, kasm-agent-2 2, kasm-agent-4 2 (trunk NIC, Docker network).
		{"mixed", 8*hostCases + vsphereCases, 6, hostCases, []string{"push check: vSphere trunks", "push check: hosts"}, "Docker network", "kasm-agent-4"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			doc := parseJUnit(t, fixture(t, tt.fixture))
			if doc.Tests != tt.tests || doc.Failures != tt.failures || doc.Errors != tt.errors {
				t.Errorf("testsuites: %d tests, %d failures, %d errors; want %d, %d, %d",
					doc.Tests, doc.Failures, doc.Errors, tt.tests, tt.failures, tt.errors)
			}
			var names []string
			tests, failures, errors := 0, 0, 0
			found := tt.failingCase == ""
			for _, s := range doc.Suites {
				names = append(names, s.Name)
				// The suite's counts must be those of its cases.
				f, e := 0, 0
				for _, c := range s.Cases {
					if c.Failure != nil {
						f++
						if c.Name == tt.failingCase && c.Classname == tt.failingHost && c.Failure.Text != "" {
							found = true
						}
					}
					if c.Error != nil {
						e++
						if !strings.Contains(c.Error.Message, "could not be observed") {
							t.Errorf("error of %s %s says %q", c.Classname, c.Name, c.Error.Message)
						}
					}
				}
				if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e {
					t.Errorf("suite %s: attributes %d/%d/%d, cases %d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, len(s.Cases), f, e)
				}
				tests, failures, errors = tests+len(s.Cases), failures+f, errors+e
			}
			if tests != tt.tests || failures != tt.failures || errors != tt.errors {
				t.Errorf("cases: %d tests, %d failures, %d errors; want %d, %d, %d", tests, failures, errors, tt.tests, tt.failures, tt.errors)
			}
			if strings.Join(names, ",") != strings.Join(tt.suites, ",") {
				t.Errorf("suites %q, want %q", names, tt.suites)
			}
			if !found {
				t.Errorf("no failing case %s of %s with details", tt.failingCase, tt.failingHost)
			}
		})
	}
}

// Hostile strings (markup, NUL, escape, "]]>") still make a well-formed
// document, and come back as they were, but for the characters XML
// cannot hold.
func TestJUnitHostileStrings(t *testing.T) {
	doc := parseJUnit(t, hostile())
	var classnames []string
	var errText string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			classnames = append(classnames, c.Classname)
			if c.Error != nil {
				errText = c.Error.Text
			}
		}
	}
	if !contains(classnames, hostileName) {
		t.Errorf("classnames %q lack %q", classnames, hostileName)
	}
	if !strings.Contains(errText, "<img src=x onerror=alert(2)>\nsecond line ]]> end") {
		t.Errorf("error text lost its content: %q", errText)
	}
	if doc.Errors != 6 || doc.Failures != 1 {
		t.Errorf("%d errors, %d failures; want 6, 1", doc.Errors, doc.Failures)
	}
}

// A difference in a component the kind's list lacks still fails a case
// of its own, after the listed ones.
func TestJUnitUnlistedComponent(t *testing.T) {
	odd := aDrift
	odd.Component = "remove-address"
	doc := parseJUnit(t, Report{Targets: []playbooks.TargetDrift{target("h", playbooks.Drifted, odd)}})
	cases := doc.Suites[0].Cases
	if len(cases) != len(Components(KindHost))+1 || doc.Failures != 1 {
		t.Fatalf("%d cases, %d failures; want %d, 1", len(cases), doc.Failures, len(Components(KindHost))+1)
	}
	if last := cases[len(cases)-1]; last.Name != "remove-address" || last.Failure == nil {
		t.Errorf("last case %q (failure %v), want a failing remove-address", last.Name, last.Failure != nil)
	}
}
