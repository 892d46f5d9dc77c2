package driftreport

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func TestTextDropsControlCharacters(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, hostile(), false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, c := range []string{"\x1b", "\x00", "\u202e"} {
		if strings.Contains(out, c) {
			t.Errorf("output holds control character %q:\n%s", c, out)
		}
	}
	// The error's line break must not start a line of its own, which could
	// pass for another target.
	if !strings.Contains(out, "    error: dial: [31mred[0m  <img src=x onerror=alert(2)> second line ]]> end\n") {
		t.Errorf("error not on one line:\n%s", out)
	}
	if !strings.Contains(out, hostileName) {
		t.Errorf("host name lost:\n%s", out)
	}
}

func TestTextColorOnlyWhenAsked(t *testing.T) {
	for _, name := range fixtures {
		var plain, color bytes.Buffer
		if err := WriteText(&plain, fixture(t, name), false); err != nil {
			t.Fatal(err)
		}
		if err := WriteText(&color, fixture(t, name), true); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(plain.String(), "\x1b") {
			t.Errorf("%s: escape sequence without color", name)
		}
		if !strings.Contains(color.String(), "\x1b[") {
			t.Errorf("%s: no color when asked", name)
		}
		// Colors only wrap words: without the escapes both say the same.
		stripped := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(color.String(), "")
		if stripped != plain.String() {
			t.Errorf("%s: colored text differs from plain text beyond the escapes", name)
		}
	}
}
