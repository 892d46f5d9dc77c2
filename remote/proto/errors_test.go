package proto

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestErrorCodes(t *testing.T) {
	// The helper wraps; the code survives more wrapping and the wire.
	err := fmt.Errorf("apply: %w", WithCode(CodeLockHeld, errors.New("host is locked by alice")))
	if !errors.Is(err, ErrLockHeld) || errors.Is(err, ErrRefused) || CodeOf(err) != CodeLockHeld {
		t.Fatalf("helper side: %v, code %q", err, CodeOf(err))
	}
	b, _ := json.Marshal(Result{Version: Version, Error: err.Error(), Code: CodeOf(err)})
	var res Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	got := fmt.Errorf("host-1: apply: %w", res.Err())
	if !errors.Is(got, ErrLockHeld) || got.Error() != "host-1: apply: apply: host is locked by alice" {
		t.Errorf("controller side: %v", got)
	}

	// A result of an older helper (no code) is an error of no kind, and
	// a code this controller does not know matches none of its values.
	for _, doc := range []string{`{"version":1,"error":"x"}`, `{"version":1,"error":"x","code":"from-the-future"}`} {
		var old Result
		if err := json.Unmarshal([]byte(doc), &old); err != nil {
			t.Fatal(err)
		}
		for _, kind := range []error{ErrLockHeld, ErrRefused, ErrInvalidSpec, ErrProtocolMismatch, ErrDockerUnavailable, ErrBadRequest, ErrUnreachable} {
			if errors.Is(old.Err(), kind) {
				t.Errorf("%s is %v", doc, kind)
			}
		}
	}
	if (Result{}).Err() != nil {
		t.Error("a result without error has one")
	}
	if b, _ := json.Marshal(Result{}); string(b) != `{"version":0,"verb":"","helper":{"version":""}}` {
		t.Errorf("a result without error carries a code: %s", b)
	}
}
