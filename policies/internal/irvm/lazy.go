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
// Record, and keeps Records as they are in the arrays and objects it
// builds; wherever a value leaves Eval's own statements (a built-in's
// argument, a comparison, a set member, a result) it takes the value with
// every Record and List in it made OPA's (plain), so what OPA code sees is
// the object either way. A Record and the values in it must not change once
// given to Eval, and one Eval reads it at a time.
type Record struct {
	fields []Field
	obj    ast.Object // Object(), once made
	hash   int        // Hash(), once known
	hashed bool
}

// Field is one key and value of a Record.
type Field struct {
	Key   string
	Value *ast.Term
}

// NewRecord returns a Record of fields, whose keys must be distinct.
func NewRecord(fields []Field) *Record { return &Record{fields: fields} }

// List is an array of the input that Eval scans and indexes without
// building OPA's representation of it (which hashes every element).
type List struct {
	elems  []*ast.Term
	arr    *ast.Array
	hash   int
	hashed bool
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

// Hash is the hash of r's object, computed as OPA does (the sum of each
// key's and value's hash) without making the object: OPA hashes a value
// when it puts it in an array or object.
func (r *Record) Hash() int {
	if !r.hashed {
		h := 0
		for _, f := range r.fields {
			h += ast.String(f.Key).Hash() + f.Value.Value.Hash()
		}
		r.hash, r.hashed = h, true
	}
	return r.hash
}

// Hash is the hash of l's array, computed as OPA does (the sum of the
// elements' hashes).
func (l *List) Hash() int {
	if !l.hashed {
		h := 0
		for _, e := range l.elems {
			h += e.Value.Hash()
		}
		l.hash, l.hashed = h, true
	}
	return l.hash
}

// plain returns t when no Record or List is in it, else t with each made
// OPA's value (a copy of every array and object that holds one).
func plain(t *ast.Term) *ast.Term {
	if t == nil || !lazy(t.Value) {
		return t
	}
	return ast.NewTerm(plainValue(t.Value))
}

func plainValue(v ast.Value) ast.Value {
	switch v := v.(type) {
	case *Record:
		return v.Object()
	case *List:
		return v.Array()
	case *ast.Array:
		if !lazy(v) {
			return v
		}
		elems := make([]*ast.Term, v.Len())
		for i := range elems {
			elems[i] = plain(v.Elem(i))
		}
		return ast.NewArray(elems...)
	case ast.Object:
		if !lazy(v) {
			return v
		}
		obj := ast.NewObjectWithCapacity(v.Len())
		v.Foreach(func(k, v *ast.Term) { obj.Insert(k, plain(v)) })
		return obj
	}
	return v
}

// lazy reports whether a Record or List is in v. Sets and object keys never
// hold one: Eval makes what it adds to them plain.
func lazy(v ast.Value) bool {
	switch v := v.(type) {
	case *Record, *List:
		return true
	case *ast.Array:
		for i := range v.Len() {
			if lazy(v.Elem(i).Value) {
				return true
			}
		}
	case ast.Object:
		found := false
		v.Until(func(_, v *ast.Term) bool {
			found = lazy(v.Value)
			return found
		})
		return found
	}
	return false
}

// The other ast.Value methods, for OPA code that meets a Record or a List
// all the same: those of its OPA value.

func (r *Record) Compare(other ast.Value) int          { return r.Object().Compare(plainValue(other)) }
func (r *Record) Find(path ast.Ref) (ast.Value, error) { return r.Object().Find(path) }
func (r *Record) IsGround() bool                       { return true }
func (r *Record) String() string                       { return r.Object().String() }
func (r *Record) StringLength() int                    { return r.Object().StringLength() }

func (l *List) Compare(other ast.Value) int          { return l.Array().Compare(plainValue(other)) }
func (l *List) Find(path ast.Ref) (ast.Value, error) { return l.Array().Find(path) }
func (l *List) IsGround() bool                       { return true }
func (l *List) String() string                       { return l.Array().String() }
func (l *List) StringLength() int                    { return l.Array().StringLength() }
