package driftreport

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/kasmfleet/push/playbooks"
)

func writeHTML(t *testing.T, r Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// elements parses page as HTML-ish XML (non-strict, HTML's void
// elements) and counts its start elements by name; it fails the test when
// the page's tags do not nest.
func elements(t *testing.T, page string) map[string]int {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(page))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	counts := map[string]int{}
	var open []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("page does not parse: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			counts[e.Name.Local]++
			open = append(open, e.Name.Local)
		case xml.EndElement:
			if len(open) == 0 || open[len(open)-1] != e.Name.Local {
				t.Fatalf("</%s> closes %v", e.Name.Local, open)
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		t.Fatalf("elements left open: %v", open)
	}
	return counts
}

func TestHTMLStructure(t *testing.T) {
	tests := []struct {
		fixture  string
		sections int // target sections: drifted and unknown targets
		rows     int // difference rows
		errors   int // unknown targets' error boxes
		chips    int // targets in the fleet overview
	}{
		{"in-sync", 0, 0, 0, 4},
		{"drift", 2, 5, 0, 3},
		{"unknown", 1, 0, 1, 3},
		{"vsphere", 1, 2, 0, 3},
		{"mixed", 4, 6, 1, 9},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			page := writeHTML(t, fixture(t, tt.fixture))
			el := elements(t, page)
			if el["html"] != 1 || el["style"] != 1 || el["main"] != 1 {
				t.Errorf("want one html, style and main element: %v", el)
			}
			if got := strings.Count(page, `<section class="target `); got != tt.sections {
				t.Errorf("%d target sections, want %d", got, tt.sections)
			}
			if got := el["tr"] - el["thead"]; got != tt.rows {
				t.Errorf("%d difference rows, want %d", got, tt.rows)
			}
			if got := strings.Count(page, `<div class="error">`); got != tt.errors {
				t.Errorf("%d error boxes, want %d", got, tt.errors)
			}
			if got := strings.Count(page, `class="chip `); got != tt.chips {
				t.Errorf("%d targets in the overview, want %d", got, tt.chips)
			}
		})
	}
}

// The page fetches nothing: no scripts, stylesheets, images, fonts or
// frames, and no URL but the page's own anchors.
func TestHTMLSelfContained(t *testing.T) {
	for _, name := range fixtures {
		page := writeHTML(t, fixture(t, name))
		el := elements(t, page)
		for _, tag := range []string{"script", "link", "img", "iframe", "object", "embed", "video", "audio", "source"} {
			if el[tag] > 0 {
				t.Errorf("%s: page has a <%s>", name, tag)
			}
		}
		for _, bad := range []string{"http://", "https://", "url(", "@import", "@font-face", "src="} {
			if strings.Contains(page, bad) {
				t.Errorf("%s: page contains %q", name, bad)
			}
		}
		for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
			if !strings.HasPrefix(m[1], "#") {
				t.Errorf("%s: link to %q", name, m[1])
			}
		}
	}
}

func TestHTMLEscapesHostileInput(t *testing.T) {
	page := writeHTML(t, hostile())
	el := elements(t, page)
	if el["script"] > 0 || el["img"] > 0 || el["svg"] > 0 || el["h1"] != 1 {
		t.Errorf("hostile strings became elements: %v", el)
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"&lt;img src=x onerror=alert(2)&gt;",
		"&#34;&gt;&lt;svg onload=alert(3)&gt;",
		"&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;h1&gt;x",
		"&#39; onmouseover=&#39;alert(4)",
		"inv/&#34;x&#34; &amp; &lt;y&gt;.hcl",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks the escaped %s", want)
		}
	}
	for _, raw := range []string{hostileName, "<img", "<svg", "onerror=alert(2)>"} {
		if strings.Contains(page, raw) {
			t.Errorf("page holds %q unescaped", raw)
		}
	}
}

// A big fleet's in-sync targets are folded away, so its problems stay on
// top; a small fleet's are listed.
func TestHTMLFoldsInSyncTargetsOfBigFleets(t *testing.T) {
	for _, n := range []int{openInSyncMax, openInSyncMax + 1} {
		r := fixture(t, "drift")
		for i := range n - 1 { // the fixture has one in-sync host
			r.Targets = append(r.Targets, target(fmt.Sprintf("extra-agent-%d", i), playbooks.InSync))
		}
		page := writeHTML(t, r)
		elements(t, page)
		open := strings.Contains(page, `<details class="insync" open>`)
		if want := n <= openInSyncMax; open != want {
			t.Errorf("%d in sync: unfolded %v, want %v", n, open, want)
		}
		if !strings.Contains(page, fmt.Sprintf("<summary>%d in sync</summary>", n)) {
			t.Errorf("%d in sync: no summary line saying so", n)
		}
	}
}
