package irvm

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// Record is an object of the input that Eval reads a field at a time
// without building OPA's representation of it: over 100,000 findings,
// making an ast.Object of each (a hash map, every key and value hashed)
// costs more than the policies that read a few of its fields.
//
// Eval reads fields (DotStmt), the number of fields and the type of a
// Record itself; wherever else the plan takes one (a built-in's argument,
// a comparison, a value it builds, a scan of it) it takes Object(), so what
// the plan sees is the object either way. A Record and the values in it
// must not change once given to Eval, and one Eval reads it at a time.
type Record struct {
	fields []Field
	obj    ast.Object // Object(), once made
}

// Field is one key and value of a Record.
type Field struct {
	Key   string
	Value *ast.Term
}

// NewRecord returns a Record of fields, whose keys must be distinct.
func NewRecord(fields []Field) *Record { return &Record{fields: fields} }

// List is an array of the input that Eval scans and indexes without
// building OPA's representation of it (which hashes every element, and so
// every Record). Elsewhere the plan takes Array().
type List struct {
	elems []*ast.Term
	arr   *ast.Array
}

// NewList returns a List of elems.
func NewList(elems []*ast.Term) *List { return &List{elems: elems} }

// field returns the value of key; nil when there is none.
func (r *Record) field(key string) *ast.Term {
	for i := range r.fields {
		if r.fields[i].Key == key {
			return r.fields[i].Value
		}
	}
	return nil
}

// Object is r as OPA's object.
func (r *Record) Object() ast.Object {
	if r.obj == nil {
		items := make([][2]*ast.Term, len(r.fields))
		for i, f := range r.fields {
			items[i] = [2]*ast.Term{ast.StringTerm(f.Key), plain(f.Value)}
		}
		r.obj = ast.NewObject(items...)
	}
	return r.obj
}

// Array is l as OPA's array.
func (l *List) Array() *ast.Array {
	if l.arr == nil {
		elems := make([]*ast.Term, len(l.elems))
		for i, e := range l.elems {
			elems[i] = plain(e)
		}
		l.arr = ast.NewArray(elems...)
	}
	return l.arr
}

// plain returns t, or for a Record or List the term of its OPA value.
func plain(t *ast.Term) *ast.Term {
	if t == nil {
		return nil
	}
	switch v := t.Value.(type) {
	case *Record:
		return ast.NewTerm(v.Object())
	case *List:
		return ast.NewTerm(v.Array())
	}
	return t
}

// The ast.Value methods, for OPA code that meets a Record or a List all
// the same: those of its OPA value.

func (r *Record) Compare(other ast.Value) int          { return r.Object().Compare(plainValue(other)) }
func (r *Record) Find(path ast.Ref) (ast.Value, error) { return r.Object().Find(path) }
func (r *Record) Hash() int                            { return r.Object().Hash() }
func (r *Record) IsGround() bool                       { return true }
func (r *Record) String() string                       { return r.Object().String() }
func (r *Record) StringLength() int                    { return r.Object().StringLength() }

func (l *List) Compare(other ast.Value) int          { return l.Array().Compare(plainValue(other)) }
func (l *List) Find(path ast.Ref) (ast.Value, error) { return l.Array().Find(path) }
func (l *List) Hash() int                            { return l.Array().Hash() }
func (l *List) IsGround() bool                       { return true }
func (l *List) String() string                       { return l.Array().String() }
func (l *List) StringLength() int                    { return l.Array().StringLength() }

func plainValue(v ast.Value) ast.Value {
	switch v := v.(type) {
	case *Record:
		return v.Object()
	case *List:
		return v.Array()
	}
	return v
}
