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
	ctx   *hcl.EvalContext
	attrs hcl.Attributes
	block *Block
	dir   string
	diags *hcl.Diagnostics
}

func newAttrReader(ctx *hcl.EvalContext, content *hcl.BodyContent, b *Block, dir string, diags *hcl.Diagnostics) *attrReader {
	b.attrs = map[string]hcl.Range{}
	b.items = map[string][]hcl.Range{}
	b.keys = map[string][]string{}
	for name, a := range content.Attributes {
		b.attrs[name] = a.Expr.Range()
	}
	return &attrReader{ctx: ctx, attrs: content.Attributes, block: b, dir: dir, diags: diags}
}

func (r *attrReader) errorf(rng hcl.Range, summary, format string, args ...any) {
	*r.diags = append(*r.diags, errorDiag(rng, summary, fmt.Sprintf(format, args...)))
}

// attrValue evaluates attribute name; when it cannot be decoded the block
// forgets the attribute, so later checks do not report it twice.
func (r *attrReader) attrValue(name string, want cty.Type) (cty.Value, bool) {
	a, ok := r.attrs[name]
	if !ok {
		return cty.NilVal, false
	}
	v, ok := r.value(a.Expr, want)
	if !ok {
		delete(r.block.attrs, name)
	}
	return v, ok
}

// value evaluates expr and converts it to want; ok is false when null or
// wrong (the problem is already reported).
func (r *attrReader) value(expr hcl.Expression, want cty.Type) (cty.Value, bool) {
	v, diags := expr.Value(r.ctx)
	*r.diags = append(*r.diags, diags...)
	if diags.HasErrors() || v.IsNull() || !v.IsWhollyKnown() {
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, want)
	if err != nil {
		r.errorf(expr.Range(), "Incorrect attribute value type", "Expected %s: %s.", want.FriendlyName(), err)
		return cty.NilVal, false
	}
	return cv, true
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
		delete(r.block.attrs, name)
		r.errorf(rng, "Invalid number", "A whole number is required, not %s.", bf.Text('f', -1))
		return nil
	}
	i, acc := bf.Int64()
	if acc != 0 || i > 1<<31 || i < -(1<<31) {
		delete(r.block.attrs, name)
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
	if diags.HasErrors() {
		exprs = []hcl.Expression{a.Expr} // a single value, or a computed list
	}
	var out []string
	for _, e := range exprs {
		v, ok := r.value(e, cty.DynamicPseudoType)
		if !ok {
			continue
		}
		if v.Type().IsTupleType() || v.Type().IsListType() {
			r.errorf(e.Range(), "Incorrect attribute value type", "Expected a string, not a nested list.")
			continue
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil {
			r.errorf(e.Range(), "Incorrect attribute value type", "Expected a string: %s.", err)
			continue
		}
		out = append(out, s.AsString())
		r.block.items[name] = append(r.block.items[name], e.Range())
	}
	return out
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
		r.errorf(a.Expr.Range(), "Incorrect attribute value type", "Expected a map such as { name = \"value\" }.")
		return nil, nil
	}
	vals = map[string]string{}
	for _, p := range pairs {
		k, ok := r.value(p.Key, cty.String)
		if !ok {
			continue
		}
		v, ok := r.value(p.Value, cty.String)
		if !ok {
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
	}
	return a
}
