package vsphere

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// Sentinels callers test with errors.Is. Each error also names the object.
var (
	ErrConfig      = errors.New("vsphere configuration")
	ErrUnreachable = errors.New("vcenter unreachable")
	ErrTLS         = errors.New("vcenter certificate not trusted")
	ErrLogin       = errors.New("vcenter login failed")
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("conflict")
	ErrTask        = errors.New("vsphere task failed")
	ErrReadBack    = errors.New("read back differs")
)

// faultText puts a vSphere fault in words: its localized message when the
// server sent one, else the fault's type ("DuplicateName"), plus the
// names it carries.
func faultText(err error) string {
	var f interface {
		error
		Fault() types.BaseMethodFault
	}
	if !errors.As(err, &f) {
		return err.Error()
	}
	msg := ""
	var te task.Error
	switch {
	case errors.As(err, &te) && te.LocalizedMethodFault != nil:
		msg = te.LocalizedMessage
	case soap.IsSoapFault(f):
		msg = soap.ToSoapFault(f).String
	}
	return describeFault(msg, f.Fault())
}

func describeFault(msg string, f types.BaseMethodFault) string {
	name := ""
	if f != nil {
		t := reflect.TypeOf(f)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		name = t.Name()
		if msg == "*types."+name {
			msg = "" // vcsim sends the fault's Go type as its message
		}
		if msg == "" {
			for _, m := range f.GetMethodFault().FaultMessage {
				if m.Message != "" {
					msg = m.Message
					break
				}
			}
		}
		switch x := f.(type) {
		case *types.DuplicateName:
			name += fmt.Sprintf(" (%s)", x.Name)
		case *types.InvalidArgument:
			if x.InvalidProperty != "" {
				name += fmt.Sprintf(" (%s)", x.InvalidProperty)
			}
		}
	}
	switch {
	case msg == "" && name == "":
		return "unknown fault"
	case msg == "":
		return name
	case name == "" || strings.Contains(msg, name):
		return msg
	default:
		return msg + " [" + name + "]"
	}
}

// redacted hides secrets in an error's text while keeping its chain for
// errors.Is and errors.As.
type redacted struct {
	err     error
	secrets []string
}

func (r *redacted) Error() string { return scrub(r.err.Error(), r.secrets) }
func (r *redacted) Unwrap() error { return r.err }

func redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	return &redacted{err: err, secrets: secrets}
}

func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// worded is a vSphere fault whose text is faultText, with the original
// error kept in the chain.
type worded struct{ err error }

func (w worded) Error() string { return faultText(w.err) }
func (w worded) Unwrap() error { return w.err }

func inWords(err error) error {
	if err == nil {
		return nil
	}
	return worded{err}
}

// faultOf is the vSphere fault in err's chain, or nil.
func faultOf(err error) types.BaseMethodFault {
	var f interface{ Fault() types.BaseMethodFault }
	if err == nil || !errors.As(err, &f) {
		return nil
	}
	return f.Fault()
}

// asFault sets *target when f is of its type.
func asFault[T types.BaseMethodFault](f types.BaseMethodFault, target *T) bool {
	t, ok := f.(T)
	if ok {
		*target = t
	}
	return ok
}
