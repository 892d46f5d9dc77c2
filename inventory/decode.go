package inventory

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// attrReader evaluates the attributes of one block, recording each one's
// range in the block and every problem in diags.
type attrReader struct {
	ctx      *hcl.EvalContext
	attrs    hcl.Attributes
	required map[string]bool
	block    *Block
	dir      string
	diags    *hcl.Diagnostics
}

func newAttrReader(ctx *hcl.EvalContext, schema *hcl.BodySchema, content *hcl.BodyContent, b *Block, dir string, diags *hcl.Diagnostics) *attrReader {
	b.attrs = map[string]hcl.Range{}
	b.items = map[string][]hcl.Range{}
	b.keys = map[string][]string{}
	b.invalid = map[string]bool{}
	for name, a := range content.Attributes {
		b.attrs[name] = a.Expr.Range()
	}
	required := map[string]bool{}
	for _, a := range schema.Attributes {
		required[a.Name] = a.Required
	}
	return &attrReader{ctx: ctx, attrs: content.Attributes, required: required, block: b, dir: dir, diags: diags}
}

func (r *attrReader) errorf(rng hcl.Range, summary, format string, args ...any) {
	*r.diags = append(*r.diags, errorDiag(rng, summary, fmt.Sprintf(format, args...)))
}

// fail forgets attribute name, whose problem is already reported, and
// marks it invalid so that later checks neither use it nor report it
// missing: one mistake, one diagnostic.
func (r *attrReader) fail(name string) {
	delete(r.block.attrs, name)
	r.block.invalid[name] = true
}

// top evaluates attribute name as a whole. A null value counts as absent:
// the block forgets the attribute, and a required one is reported missing.
func (r *attrReader) top(name string) (hcl.Expression, cty.Value, bool) {
	a, ok := r.attrs[name]
	if !ok {
		return nil, cty.NilVal, false
	}
	v, ok := r.eval(a.Expr)
	switch {
	case !ok:
		r.fail(name)
	case v.IsNull():
		delete(r.block.attrs, name)
		if r.required[name] {
			r.fail(name)
			r.errorf(a.Expr.Range(), "Missing required argument", "The argument %q is required, but it is null.", name)
		}
		ok = false
	}
	return a.Expr, v, ok
}

// attrValue evaluates attribute name and converts it to want.
func (r *attrReader) attrValue(name string, want cty.Type) (cty.Value, bool) {
	expr, v, ok := r.top(name)
	if !ok {
		return cty.NilVal, false
	}
	if v, ok = r.convert(expr, v, want); !ok {
		r.fail(name)
	}
	return v, ok
}

// eval evaluates expr; ok is false when it fails (reported) or is not
// known.
func (r *attrReader) eval(expr hcl.Expression) (cty.Value, bool) {
	v, diags := expr.Value(r.ctx)
	*r.diags = append(*r.diags, diags...)
	return v, !diags.HasErrors() && v.IsWhollyKnown()
}

// convert converts v, the value of expr, to want; ok is false when it is
// null or of another type (reported).
func (r *attrReader) convert(expr hcl.Expression, v cty.Value, want cty.Type) (cty.Value, bool) {
	if v.IsNull() {
		r.errorf(expr.Range(), "Null value", "Expected %s, not null.", want.FriendlyName())
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, want)
	if err != nil {
		r.errorf(expr.Range(), "Incorrect attribute value type", "Expected %s: %s.", want.FriendlyName(), err)
		return cty.NilVal, false
	}
	return cv, true
}

// value evaluates expr, an element of an attribute, and converts it to want.
func (r *attrReader) value(expr hcl.Expression, want cty.Type) (cty.Value, bool) {
	v, ok := r.eval(expr)
	if !ok {
		return cty.NilVal, false
	}
	return r.convert(expr, v, want)
}

func (r *attrReader) str(name string) string {
	v, ok := r.attrValue(name, cty.String)
	if !ok {
		return ""
	}
	return v.AsString()
}

func (r *attrReader) secret(name string) Secret { return Secret{value: r.str(name)} }

// path is a file path attribute, made absolute against the inventory's
// directory; "~/" is kept for the caller to expand against the home.
func (r *attrReader) path(name string) string {
	p := r.str(name)
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "~/") {
		return p
	}
	return filepath.Join(r.dir, p)
}

func (r *attrReader) boolean(name string) *bool {
	v, ok := r.attrValue(name, cty.Bool)
	if !ok {
		return nil
	}
	b := v.True()
	return &b
}

func (r *attrReader) integer(name string) *int {
	v, ok := r.attrValue(name, cty.Number)
	if !ok {
		return nil
	}
	bf := v.AsBigFloat()
	rng := r.block.Range(name)
	if !bf.IsInt() {
		r.fail(name)
		r.errorf(rng, "Invalid number", "A whole number is required, not %s.", bf.Text('f', -1))
		return nil
	}
	i, acc := bf.Int64()
	if acc != 0 || i > 1<<31 || i < -(1<<31) {
		r.fail(name)
		r.errorf(rng, "Invalid number", "The number %s is out of range.", bf.Text('f', -1))
		return nil
	}
	n := int(i)
	return &n
}

// list reads a list of strings, accepting a single string as a list of one
// and numbers as their decimal text; each element's range is recorded.
func (r *attrReader) list(name string) []string {
	a, ok := r.attrs[name]
	if !ok {
		return nil
	}
	exprs, diags := hcl.ExprList(a.Expr)
	if diags.HasErrors() { // a single value, or a computed list
		if _, _, ok := r.top(name); !ok {
			return nil
		}
		exprs = []hcl.Expression{a.Expr}
	}
	var out []string
	for _, e := range exprs {
		if s, ok := r.listItem(e); ok {
			out = append(out, s)
			r.block.items[name] = append(r.block.items[name], e.Range())
		} else {
			r.block.invalid[name] = true
		}
	}
	return out
}

// empty reports whether list attribute name, read as vals, was written as
// an empty list (not as a list whose elements could not be read).
func (r *attrReader) empty(name string, vals []string) bool {
	return r.block.Has(name) && len(vals) == 0 && !r.block.unreadable(name)
}

func (r *attrReader) listItem(e hcl.Expression) (string, bool) {
	v, ok := r.eval(e)
	if !ok {
		return "", false
	}
	if v.Type().IsTupleType() || v.Type().IsListType() {
		r.errorf(e.Range(), "Incorrect attribute value type", "Expected a string, not a nested list.")
		return "", false
	}
	s, ok := r.convert(e, v, cty.String)
	if !ok {
		return "", false
	}
	return s.AsString(), true
}

// strMap reads a map of strings written as an object; keys keep source
// order in keys, and each value's range is recorded in that order.
func (r *attrReader) strMap(name string) (keys []string, vals map[string]string) {
	a, ok := r.attrs[name]
	if !ok {
		return nil, nil
	}
	pairs, diags := hcl.ExprMap(a.Expr)
	if diags.HasErrors() {
		if _, _, ok := r.top(name); ok {
			r.errorf(a.Expr.Range(), "Incorrect attribute value type", "Expected a map such as { name = \"value\" }.")
			r.fail(name)
		}
		return nil, nil
	}
	vals = map[string]string{}
	for _, p := range pairs {
		k, ok := r.value(p.Key, cty.String)
		if !ok {
			r.block.invalid[name] = true
			continue
		}
		v, ok := r.value(p.Value, cty.String)
		if !ok {
			r.block.invalid[name] = true
			continue
		}
		key := k.AsString()
		if _, dup := vals[key]; dup {
			r.errorf(p.Key.Range(), "Duplicate map key", "The key %q appears more than once.", key)
			continue
		}
		keys = append(keys, key)
		r.block.keys[name] = append(r.block.keys[name], key)
		vals[key] = v.AsString()
		r.block.items[name] = append(r.block.items[name], p.Value.Range())
	}
	return keys, vals
}

func (r *attrReader) prefix(name string) netip.Prefix {
	s := r.str(name)
	if s == "" {
		return netip.Prefix{}
	}
	p, err := parsePrefix(s)
	if err != nil {
		r.errorf(r.block.Range(name), "Invalid subnet", "%s", err)
		r.block.invalid[name] = true
	}
	return p
}

func (r *attrReader) addr(name string) netip.Addr {
	s := r.str(name)
	if s == "" {
		return netip.Addr{}
	}
	a, err := parseAddr(s)
	if err != nil {
		r.errorf(r.block.Range(name), "Invalid IP address", "%s", err)
		r.block.invalid[name] = true
	}
	return a
}
