package irvm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
)

// Control codes a block returns besides a break depth (0 leaves the block
// itself: a statement that is undefined is a break 0).
const (
	ctrlNext   = -1 // the block ran to its end
	ctrlReturn = -2 // a ReturnLocalStmt ran (evaluator.ret holds the value)
)

// checkEvery is how many loop iterations run between checks of the
// context.
const checkEvery = 1024

// ErrConflict is wrapped by Eval's error when a complete rule or an object
// rule has two different values (OPA's eval_conflict_error).
var ErrConflict = errors.New("conflicting values")

// evaluator is the state of one Eval.
type evaluator struct {
	ctx   context.Context
	bctx  topdown.BuiltinContext
	stack []*ast.Term // frames of locals, one window per active call
	memo  []*ast.Term
	done  []bool // memo[i] holds function i's value
	ret   *ast.Term
	out   *ast.Term // a built-in's value
	got   bool
	emit  func(*ast.Term) error // stores a built-in's value in out
	args  []*ast.Term           // a built-in's arguments (built-ins do not keep them)
	rs    []*ast.Term           // the result set of the plan being evaluated
	ticks int
	// added holds the elements of each set the plan built, in the order
	// they were added: reading an ast.Set sorts it, which for a set of
	// 100,000 results costs more than building it.
	added map[ast.Set]*[]*ast.Term
}

var errStop = errors.New("stop iteration")

// Value is the value of an entrypoint.
type Value struct {
	// Term is the value; nil when the rule is undefined.
	Term *ast.Term
	// Elems are the elements of a set in the order the plan added them,
	// for a set the plan built (a partial set rule). Reading them is
	// cheaper than iterating Term, which sorts it.
	Elems []*ast.Term
}

// Eval evaluates the entrypoints numbered which (indexes into
// Entrypoints; every entrypoint when which is nil) over input and data
// (both documents as OPA values) and returns their values in that order.
// Errors are conflicts (ErrConflict), built-in errors and the context's
// error.
func (p *Program) Eval(ctx context.Context, input, data ast.Value, which []int) ([]Value, error) {
	if which == nil {
		which = make([]int, len(p.plans))
		for i := range which {
			which[i] = i
		}
	}
	ev := &evaluator{
		ctx:   ctx,
		added: map[ast.Set]*[]*ast.Term{},
		memo:  make([]*ast.Term, len(p.funcs)),
		done:  make([]bool, len(p.funcs)),
		bctx: topdown.BuiltinContext{
			Context: ctx,
			Metrics: metrics.New(),
			Cache:   builtins.Cache{},
		},
	}
	ev.emit = func(t *ast.Term) error { ev.out, ev.got = t, true; return nil }
	in, d := ast.NewTerm(input), ast.NewTerm(data)
	values := make([]Value, len(which))
	for i, w := range which {
		if w < 0 || w >= len(p.plans) {
			return nil, fmt.Errorf("no entrypoint %d", w)
		}
		pl := p.plans[w]
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ev.rs = ev.rs[:0]
		locals := ev.push(pl.nlocals)
		locals[0], locals[1] = in, d
		for _, b := range pl.blocks {
			c, err := ev.block(locals, b)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", pl.name, err)
			}
			if c > 0 {
				return nil, fmt.Errorf("%s: break out of the plan", pl.name)
			}
		}
		ev.stack = ev.stack[:0]
		switch len(ev.rs) {
		case 0:
		case 1:
			obj, ok := ev.rs[0].Value.(ast.Object)
			if !ok {
				return nil, fmt.Errorf("%s: result %v is not an object", pl.name, ev.rs[0])
			}
			v := obj.Get(ast.InternedTerm("result"))
			values[i].Term = v
			if set, ok := valueOf(v).(ast.Set); ok {
				if elems := ev.added[set]; elems != nil && len(*elems) == set.Len() {
					values[i].Elems = *elems
				}
			}
		default:
			return nil, fmt.Errorf("%s: %d results, want one", pl.name, len(ev.rs))
		}
	}
	return values, nil
}

// push returns a cleared frame of n locals on top of the stack. Growing the
// stack may move it: a caller's frame stays valid in the old array, and
// frames are only ever read through their own slice.
func (ev *evaluator) push(n int) []*ast.Term {
	base := len(ev.stack)
	if cap(ev.stack)-base < n {
		grown := make([]*ast.Term, base, 2*cap(ev.stack)+n)
		copy(grown, ev.stack)
		ev.stack = grown
	}
	ev.stack = ev.stack[:base+n]
	locals := ev.stack[base:]
	clear(locals)
	return locals
}

func read(locals []*ast.Term, o operand) *ast.Term {
	if o.konst != nil {
		return o.konst
	}
	return locals[o.local]
}

// call evaluates fn with the arguments read from the caller's locals; nil
// when its value is undefined.
func (ev *evaluator) call(fn *function, args []operand, caller []*ast.Term) (*ast.Term, error) {
	if fn.memo && ev.done[fn.index] {
		return ev.memo[fn.index], nil
	}
	base := len(ev.stack)
	locals := ev.push(fn.nlocals)
	for i, p := range fn.params {
		locals[p] = read(caller, args[i])
	}
	var value *ast.Term
	for _, b := range fn.blocks {
		c, err := ev.block(locals, b)
		if err != nil {
			return nil, err
		}
		if c == ctrlReturn {
			value = ev.ret
			break
		}
		if c > 0 {
			return nil, fmt.Errorf("%s: break out of the function", fn.name)
		}
	}
	ev.stack = ev.stack[:base]
	if fn.memo {
		ev.memo[fn.index], ev.done[fn.index] = value, true
	}
	return value, nil
}

// block runs stmts: ctrlNext when it ran to its end, ctrlReturn, or a break
// depth (0 for a statement that is undefined).
func (ev *evaluator) block(locals []*ast.Term, stmts []stmt) (int, error) {
	for _, s := range stmts {
		switch s := s.(type) {
		case *assignStmt:
			locals[s.target] = read(locals, s.src)
		case *dotStmt:
			src, key := read(locals, s.src), read(locals, s.key)
			if src == nil || key == nil {
				return 0, nil
			}
			v := dot(src, key)
			if v == nil {
				return 0, nil
			}
			locals[s.target] = v
		case *callStmt:
			v, err := ev.callStmt(s, locals)
			if err != nil {
				return 0, err
			}
			if v == nil {
				return 0, nil
			}
			locals[s.result] = v
		case *arrayAppendStmt:
			arr, ok := valueOf(locals[s.array]).(*ast.Array)
			v := read(locals, s.value)
			if !ok || v == nil {
				return 0, fmt.Errorf("append to %v: not an array", locals[s.array])
			}
			locals[s.array].Value = arr.Append(v)
		case *assignOnceStmt:
			v := read(locals, s.src)
			if cur := locals[s.target]; cur != nil && v != nil && plainValue(cur.Value).Compare(plainValue(v.Value)) != 0 {
				return 0, fmt.Errorf("%s: %w: a complete rule or function has more than one value", s.at, ErrConflict)
			}
			locals[s.target] = v
		case *resetStmt:
			locals[s.target] = nil
		case *objectInsertStmt:
			obj, ok := valueOf(locals[s.object]).(ast.Object)
			k, v := plain(read(locals, s.key)), read(locals, s.value)
			if !ok || k == nil || v == nil {
				return 0, fmt.Errorf("insert into %v: not an object", locals[s.object])
			}
			if s.once {
				if cur := obj.Get(k); cur != nil {
					if plainValue(cur.Value).Compare(plainValue(v.Value)) != 0 {
						return 0, fmt.Errorf("%s: %w: object keys must be unique", s.at, ErrConflict)
					}
					continue
				}
			}
			obj.Insert(k, v)
		case *makeArrayStmt:
			if s.shared != nil {
				locals[s.target] = s.shared
				continue
			}
			locals[s.target] = ast.NewTerm(ast.NewArrayWithCapacity(s.capacity))
		case *makeArrayOfStmt:
			v, err := makeArray(s, locals)
			if err != nil {
				return 0, err
			}
			locals[s.target] = v
		case *concatOfStmt:
			v, err := ev.concat(s, locals)
			if err != nil {
				return 0, err
			}
			if v == nil {
				return 0, nil
			}
			locals[s.result] = v
		case *makeObjectOfStmt:
			if s.shared != nil {
				locals[s.target] = s.shared
				continue
			}
			obj := ast.NewObjectWithCapacity(len(s.keys))
			for i := range s.keys {
				k, v := plain(read(locals, s.keys[i])), read(locals, s.values[i])
				if k == nil || v == nil {
					return 0, errors.New("insert an undefined value into an object")
				}
				obj.Insert(k, v)
			}
			locals[s.target] = ast.NewTerm(obj)
		case *makeObjectStmt:
			if s.shared != nil {
				locals[s.target] = s.shared
				continue
			}
			locals[s.target] = ast.NewTerm(ast.NewObject())
		case *makeSetStmt:
			set := ast.NewSet()
			ev.added[set] = new([]*ast.Term)
			locals[s.target] = ast.NewTerm(set)
		case *makeValueStmt:
			locals[s.target] = s.value
		case *notEqualStmt:
			a, b := plain(read(locals, s.a)), plain(read(locals, s.b))
			if a == nil || b == nil || a.Value.Compare(b.Value) == 0 {
				return 0, nil
			}
		case *equalStmt:
			a, b := plain(read(locals, s.a)), plain(read(locals, s.b))
			if a == nil || b == nil || a.Value.Compare(b.Value) != 0 {
				return 0, nil
			}
		case *isDefinedStmt:
			if locals[s.src] == nil {
				return 0, nil
			}
		case *isUndefinedStmt:
			if locals[s.src] != nil {
				return 0, nil
			}
		case *setAddStmt:
			set, ok := valueOf(locals[s.set]).(ast.Set)
			v := plain(read(locals, s.value))
			if !ok || v == nil {
				return 0, fmt.Errorf("add to %v: not a set", locals[s.set])
			}
			n := set.Len()
			set.Add(v)
			if set.Len() > n {
				if elems := ev.added[set]; elems != nil {
					*elems = append(*elems, v)
				}
			}
		case *scanStmt:
			c, err := ev.scan(s, locals)
			if err != nil || c != ctrlNext {
				return c, err
			}
		case *notStmt:
			c, err := ev.block(locals, s.body)
			switch {
			case err != nil:
				return 0, err
			case c == ctrlNext:
				return 0, nil // the negated block held: not is undefined
			case c == ctrlReturn:
				return c, nil
			case c > 0:
				return c - 1, nil
			}
		case *blockStmt:
			for _, b := range s.blocks {
				c, err := ev.block(locals, b)
				if err != nil {
					return 0, err
				}
				if c == ctrlReturn {
					return c, nil
				}
				if c > 0 {
					return c - 1, nil
				}
			}
		case *breakStmt:
			return s.index, nil
		case *returnStmt:
			ev.ret = locals[s.src]
			return ctrlReturn, nil
		case *resultAddStmt:
			if locals[s.value] == nil {
				return 0, errors.New("add an undefined value to the result set")
			}
			ev.rs = append(ev.rs, plain(locals[s.value]))
		case *lenStmt:
			src := read(locals, s.src)
			if src == nil {
				return 0, nil
			}
			locals[s.target] = ast.InternedTerm(length(src.Value))
		case *isTypeStmt:
			src := read(locals, s.src)
			if src == nil {
				return 0, nil
			}
			var ok bool
			switch s.kind {
			case isArray:
				_, ok = src.Value.(*ast.Array)
				_, list := src.Value.(*List)
				ok = ok || list
			case isObject:
				_, ok = src.Value.(ast.Object)
				_, rec := src.Value.(*Record)
				ok = ok || rec
			case isSet:
				_, ok = src.Value.(ast.Set)
			}
			if !ok {
				return 0, nil
			}
		case *assignIntStmt:
			locals[s.target] = s.value
		case *objectMergeStmt:
			a, okA := valueOf(plain(locals[s.a])).(ast.Object)
			b, okB := valueOf(plain(locals[s.b])).(ast.Object)
			if !okA || !okB {
				return 0, fmt.Errorf("%s: %w: merge of values that are not objects", s.at, ErrConflict)
			}
			m, ok := a.Merge(b)
			if !ok {
				return 0, fmt.Errorf("%s: %w: object values cannot be merged", s.at, ErrConflict)
			}
			locals[s.target] = ast.NewTerm(m)
		case *nopStmt:
		default:
			return 0, fmt.Errorf("statement %T is not supported", s)
		}
	}
	return ctrlNext, nil
}

func valueOf(t *ast.Term) ast.Value {
	if t == nil {
		return nil
	}
	return t.Value
}

// dot is src[key]: an object's value, an array's element, a set's member;
// nil when there is none or src is a scalar.
func dot(src, key *ast.Term) *ast.Term {
	switch v := src.Value.(type) {
	case ast.Object:
		return v.Get(key)
	case *ast.Array:
		n, ok := key.Value.(ast.Number)
		if !ok {
			return nil
		}
		i, ok := n.Int()
		if !ok || i < 0 || i >= v.Len() {
			return nil
		}
		return v.Elem(i)
	case ast.Set:
		if v.Contains(key) {
			return key
		}
	case *Record:
		if k, ok := key.Value.(ast.String); ok {
			return v.field(string(k))
		}
	case *List:
		n, ok := key.Value.(ast.Number)
		if !ok {
			return nil
		}
		i, ok := n.Int()
		if !ok || i < 0 || i >= len(v.elems) {
			return nil
		}
		return v.elems[i]
	}
	return nil
}

// length is the number of elements of a collection, of characters of a
// string, and 0 for other values.
func length(v ast.Value) int {
	switch v := v.(type) {
	case *ast.Array:
		return v.Len()
	case ast.Object:
		return v.Len()
	case ast.Set:
		return v.Len()
	case ast.String:
		return utf8.RuneCountInString(string(v))
	case *Record:
		return len(v.fields)
	case *List:
		return len(v.elems)
	}
	return 0
}

// makeArray builds the array of a makeArrayOfStmt.
func makeArray(s *makeArrayOfStmt, locals []*ast.Term) (*ast.Term, error) {
	if s.shared != nil {
		return s.shared, nil
	}
	elems := make([]*ast.Term, len(s.elems))
	for i, o := range s.elems {
		if elems[i] = read(locals, o); elems[i] == nil {
			return nil, errUndefinedElem
		}
	}
	return ast.NewTerm(ast.NewArray(elems...)), nil
}

var errUndefinedElem = errors.New("append an undefined value to an array")

// concat joins the array of a concatOfStmt: itself when the delimiter and
// the elements are strings (the value OPA's concat returns), else by
// building the array and calling concat, for the same value or error.
func (ev *evaluator) concat(s *concatOfStmt, locals []*ast.Term) (*ast.Term, error) {
	var arr *ast.Term
	if s.needArray {
		v, err := makeArray(s.array, locals)
		if err != nil {
			return nil, err
		}
		arr, locals[s.array.target] = v, v
	}
	n, strs := 0, true
	for _, o := range s.array.elems {
		e := read(locals, o)
		if e == nil {
			return nil, errUndefinedElem
		}
		str, ok := e.Value.(ast.String)
		strs = strs && ok
		n += len(str)
	}
	delim := plain(read(locals, s.delim))
	if delim == nil {
		return nil, nil
	}
	if sep, ok := delim.Value.(ast.String); ok && strs {
		switch len(s.array.elems) {
		case 0:
			return ast.InternedEmptyString, nil
		case 1:
			return read(locals, s.array.elems[0]), nil
		}
		var b strings.Builder
		b.Grow(n + len(sep)*(len(s.array.elems)-1))
		for i, o := range s.array.elems {
			if i > 0 {
				b.WriteString(string(sep))
			}
			b.WriteString(string(read(locals, o).Value.(ast.String)))
		}
		return ast.StringTerm(b.String()), nil
	}
	if arr == nil {
		v, err := makeArray(s.array, locals)
		if err != nil {
			return nil, err
		}
		arr = v
	}
	ev.out, ev.got = nil, false
	if err := s.bi.fn(ev.bctx, []*ast.Term{delim, plain(arr)}, ev.emit); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", s.at, s.bi.name, err)
	}
	if !ev.got {
		return nil, nil
	}
	return ev.out, nil
}

func (ev *evaluator) callStmt(s *callStmt, locals []*ast.Term) (*ast.Term, error) {
	for _, a := range s.args {
		if read(locals, a) == nil {
			return nil, nil
		}
	}
	if s.fn != nil {
		return ev.call(s.fn, s.args, locals)
	}
	if s.bi.name == "object.get" && len(s.args) == 3 {
		if r, ok := read(locals, s.args[0]).Value.(*Record); ok {
			return objectGet(r, read(locals, s.args[1]), read(locals, s.args[2])), nil
		}
	}
	args := ev.args[:0]
	for _, a := range s.args {
		args = append(args, plain(read(locals, a)))
	}
	ev.args = args
	ev.out, ev.got = nil, false
	if err := s.bi.fn(ev.bctx, args, ev.emit); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", s.at, s.bi.name, err)
	}
	clear(args)
	if !ev.got {
		return nil, nil
	}
	return ev.out, nil
}

// objectGet is object.get(r, path, def) without making r OPA's object:
// the policies read a field or two of each finding this way.
func objectGet(r *Record, path, def *ast.Term) *ast.Term {
	arr, ok := path.Value.(*ast.Array)
	if !ok {
		return cmp.Or(dot(ast.NewTerm(r), path), def)
	}
	curr := ast.NewTerm(r)
	for i := range arr.Len() {
		if curr = dot(curr, arr.Elem(i)); curr == nil {
			break
		}
	}
	return cmp.Or(curr, def)
}

// scan runs the body for each key and value of the source (none for a
// scalar). In the body a break 0 (or an undefined statement) goes on with
// the next element and a break 1 ends the scan; deeper breaks leave the
// scan's own block and more.
func (ev *evaluator) scan(s *scanStmt, locals []*ast.Term) (int, error) {
	src := locals[s.src]
	if src == nil {
		return ctrlNext, nil
	}
	// each runs the body once; stop says the scan is over, with the
	// control code the scan statement returns.
	each := func(k, v *ast.Term) (c int, stop bool, err error) {
		if ev.ticks++; ev.ticks%checkEvery == 0 {
			if err := ev.ctx.Err(); err != nil {
				return 0, true, err
			}
		}
		if s.needKey {
			locals[s.key] = k
		}
		locals[s.value] = v
		c, err = ev.block(locals, s.body)
		switch {
		case err != nil:
			return 0, true, err
		case c == ctrlNext || c == 0:
			return 0, false, nil
		case c == 1:
			return ctrlNext, true, nil
		case c == ctrlReturn:
			return c, true, nil
		}
		return c - 2, true, nil
	}
	if _, ok := src.Value.(*Record); ok {
		src = plain(src)
	}
	switch v := src.Value.(type) {
	case *ast.Array:
		for i := range v.Len() {
			var k *ast.Term
			if s.needKey {
				k = ast.InternedTerm(i)
			}
			c, stop, err := each(k, v.Elem(i))
			if stop {
				return c, err
			}
		}
	case *List:
		for i, e := range v.elems {
			var k *ast.Term
			if s.needKey {
				k = ast.InternedTerm(i)
			}
			c, stop, err := each(k, e)
			if stop {
				return c, err
			}
		}
	case ast.Object:
		var stopped int
		err := v.Iter(func(k, v *ast.Term) error {
			c, stop, err := each(k, v)
			if err != nil {
				return err
			}
			if stop {
				stopped = c
				return errStop
			}
			return nil
		})
		if errors.Is(err, errStop) {
			return stopped, nil
		}
		if err != nil {
			return 0, err
		}
	case ast.Set:
		var stopped int
		err := v.Iter(func(e *ast.Term) error {
			c, stop, err := each(e, e)
			if err != nil {
				return err
			}
			if stop {
				stopped = c
				return errStop
			}
			return nil
		})
		if errors.Is(err, errStop) {
			return stopped, nil
		}
		if err != nil {
			return 0, err
		}
	}
	return ctrlNext, nil
}
