package proto

import "errors"

// ErrorCode says what kind of failure a Result's Error is, for programs;
// Error itself is for people. Codes are added within a protocol version
// (a controller treats a code it does not know like no code), never
// renamed.
type ErrorCode string

const (
	// CodeLockHeld: another push run holds the host lock.
	CodeLockHeld ErrorCode = "lock-held"
	// CodeRefused: the change is unsafe (e.g. containers attached to a
	// network that would be replaced); nothing was changed.
	CodeRefused ErrorCode = "refused"
	// CodeBusy: apply was asked to change nothing while sessions block
	// a change (Options.UnlessBusy), and they do; nothing was changed.
	CodeBusy ErrorCode = "busy"
	// CodeInvalidSpec: the spec is not one the helper can apply.
	CodeInvalidSpec ErrorCode = "invalid-spec"
	// CodeProtocolMismatch: the request is of another protocol version.
	CodeProtocolMismatch ErrorCode = "protocol-mismatch"
	// CodeDockerUnavailable: the spec needs Docker and it does not answer.
	CodeDockerUnavailable ErrorCode = "docker-unavailable"
	// CodeBadRequest: the request is not one the helper understands.
	CodeBadRequest ErrorCode = "bad-request"
	// CodeUnreachable: the controller could not reach the host or run
	// the helper there (set by push, never by a helper).
	CodeUnreachable ErrorCode = "unreachable"
)

// Error is a failure with its code. The helper returns errors wrapping
// one, and the controller gets one from Result.Err, so both sides test
// kinds with errors.Is against the Err values below.
type Error struct {
	Code ErrorCode
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Is matches an Err value of the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Err == nil && t.Code == e.Code
}

// Values to test with errors.Is(err, proto.ErrLockHeld).
var (
	ErrLockHeld          = &Error{Code: CodeLockHeld}
	ErrRefused           = &Error{Code: CodeRefused}
	ErrBusy              = &Error{Code: CodeBusy}
	ErrInvalidSpec       = &Error{Code: CodeInvalidSpec}
	ErrProtocolMismatch  = &Error{Code: CodeProtocolMismatch}
	ErrDockerUnavailable = &Error{Code: CodeDockerUnavailable}
	ErrBadRequest        = &Error{Code: CodeBadRequest}
	ErrUnreachable       = &Error{Code: CodeUnreachable}
)

// WithCode gives err a code.
func WithCode(code ErrorCode, err error) error { return &Error{Code: code, Err: err} }

// CodeOf is the code err carries, or "".
func CodeOf(err error) ErrorCode {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return ""
}

// Err is the failure the Result reports as a whole, with its code, or nil.
func (r Result) Err() error {
	if r.Error == "" {
		return nil
	}
	return &Error{Code: r.Code, Err: errors.New(r.Error)}
}
