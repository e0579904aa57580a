package irvm

import (
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/ir"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// operand is a local slot, or a constant when konst is set.
type operand struct {
	local int
	konst *ast.Term
}

// where is a statement's place in the Rego source, for error messages.
type where struct {
	file     string
	row, col int
}

func (w where) String() string { return fmt.Sprintf("%s:%d:%d", w.file, w.row, w.col) }

type builtin struct {
	name string
	fn   topdown.BuiltinFunc
}

// The statements, one type per ir statement that Program evaluates, with
// constants and call targets resolved.
type (
	stmt any

	returnStmt struct{ src int }
	callStmt   struct {
		fn     *function // a planned function, or
		bi     *builtin  // a built-in
		args   []operand
		result int
		at     where
	}
	blockStmt struct{ blocks [][]stmt }
	breakStmt struct{ index int }
	dotStmt   struct {
		src, key operand
		target   int
	}
	lenStmt struct {
		src    operand
		target int
	}
	scanStmt struct {
		src, key, value int
		body            []stmt
		// needKey: a statement of the function reads the key slot. (Keys
		// of a large array are numbers to allocate.)
		needKey bool
	}
	notStmt       struct{ body []stmt }
	assignIntStmt struct {
		value  *ast.Term
		target int
	}
	assignStmt struct {
		src    operand
		target int
	}
	assignOnceStmt struct {
		src    operand
		target int
		at     where
	}
	resetStmt     struct{ target int }
	makeValueStmt struct {
		value  *ast.Term // null or a number: immutable, shared
		target int
	}
	makeArrayStmt struct {
		capacity, target int
		shared           *ast.Term // the value, when it is built once
	}
	// makeArrayOfStmt is a MakeArrayStmt and the ArrayAppendStmts that
	// follow it: one array built at once instead of a copy per element.
	makeArrayOfStmt struct {
		elems  []operand
		target int
		shared *ast.Term
	}
	// makeObjectOfStmt is a MakeObjectStmt and the ObjectInsertStmts that
	// follow it.
	makeObjectOfStmt struct {
		keys, values []operand
		target       int
		shared       *ast.Term
	}
	makeObjectStmt struct {
		target int
		shared *ast.Term
	}
	// concatOfStmt is a makeArrayOfStmt and the call of concat that
	// joins the array: joined at once when the delimiter and the elements
	// are strings, without building the array unless something else reads
	// it (needArray).
	concatOfStmt struct {
		array     *makeArrayOfStmt
		delim     operand
		bi        *builtin
		result    int
		at        where
		needArray bool
	}
	makeSetStmt  struct{ target int }
	equalStmt    struct{ a, b operand }
	notEqualStmt struct{ a, b operand }
	isTypeStmt   struct {
		src  operand
		kind int // isArray, isObject, isSet
	}
	isDefinedStmt   struct{ src int }
	isUndefinedStmt struct{ src int }
	arrayAppendStmt struct {
		value operand
		array int
	}
	objectInsertStmt struct {
		key, value operand
		object     int
		once       bool
		at         where
	}
	objectMergeStmt struct {
		a, b, target int
		at           where
	}
	setAddStmt struct {
		value operand
		set   int
	}
	resultAddStmt struct{ value int }
	nopStmt       struct{}
)

const (
	isArray = iota
	isObject
	isSet
)

// loader converts ir statements, tracking the highest local slot of the
// function being converted.
type loader struct {
	strings  []*ast.Term
	files    []string
	funcs    map[string]*function
	builtins map[string]*builtin
	max      int
	reads    map[int]bool  // locals a statement reads, other than to copy them
	copies   map[int][]int // local → the locals an AssignVarStmt copies it to
	// kept holds the locals read other than to copy them or to pass them
	// to a built-in (which does not change its arguments or keep them).
	kept      map[int]bool
	toBuiltin bool // the operands being read are a built-in's arguments
	scans     []*scanStmt
	// made are the values built from constants alone; those only ever
	// passed to built-ins are built once (see end).
	made []*madeValue
	// joins are the fused concat calls of the function (see end).
	joins []join
	// at is the place of the statement being converted: the list and
	// index in it of the statement and of each statement enclosing it;
	// events are the reads and writes of slots, in order, with their
	// places (see dead).
	at     []place
	events []event
	lists  int
}

// place is a statement's index in a statement list (lists are numbered
// once per function).
type place struct{ list, index int }

type event struct {
	write bool
	slot  int
	at    []place
	// maybe: the statement may complete without the write (a scan of
	// nothing, a concatOfStmt that does not build its array).
	maybe bool
}

type join struct {
	stmt *concatOfStmt
	at   []place
}

// madeValue is a statement that builds a value from constants into
// target, and the value.
type madeValue struct {
	target int
	value  *ast.Term
	shared **ast.Term // where the statement reads a value built once
}

// begin starts converting a function whose slots start at first.
func (l *loader) begin(first int) {
	l.max, l.reads, l.copies, l.kept, l.scans, l.made, l.joins = first, map[int]bool{}, map[int][]int{}, map[int]bool{}, nil, nil, nil
	l.at, l.events, l.lists = nil, nil, 0
}

// end finishes the function begun last and returns its number of slots.
func (l *loader) end() int {
	for _, s := range l.scans {
		s.needKey = l.live(s.key, map[int]bool{})
	}
	for _, j := range l.joins {
		j.stmt.needArray = !l.dead(j.stmt.array.target, j.at)
	}
	// A value built from constants that is only copied and passed to
	// built-ins (the default of object.get, the path [k1, k2] of
	// object.get) is never changed: build it once, not once per
	// iteration.
	for _, m := range l.made {
		if !l.reaches(m.target, l.kept, map[int]bool{}) {
			*m.shared = m.value
		}
	}
	return l.max + 1
}

// reaches reports whether slot x or a slot it is copied to is in set.
func (l *loader) reaches(x int, set, seen map[int]bool) bool {
	if set[x] {
		return true
	}
	seen[x] = true
	for _, y := range l.copies[x] {
		if !seen[y] && l.reaches(y, set, seen) {
			return true
		}
	}
	return false
}

// dead reports whether the value a statement at p writes to slot x is
// never read: every read of x (a copy included) follows, in a list of
// statements, a statement of that list that writes x and that p is not
// between. In the plan a slot is reused by the blocks of one function (the
// else branches of a rule, its bodies); a write so placed runs before the
// read on every path that reaches it, also within a loop's body, and
// anything else counts as a read of the value at p.
func (l *loader) dead(x int, p []place) bool {
	for _, r := range l.events {
		if r.write || r.slot != x {
			continue
		}
		if !slices.ContainsFunc(l.events, func(w event) bool {
			if !w.write || w.maybe || w.slot != x || len(w.at) == 0 || len(w.at) > len(r.at) {
				return false
			}
			d := len(w.at) - 1
			lw, lr := w.at[d], r.at[d]
			if lw.list != lr.list || lr.index <= lw.index {
				return false
			}
			// Lists are numbered uniquely: p is in this one only
			// through the same enclosing statements.
			between := len(p) > d && p[d].list == lw.list && p[d].index > lw.index && p[d].index <= lr.index
			return !between
		}) {
			return false
		}
	}
	return true
}

// live reports whether the value in slot x is read, directly or through
// the slots it is copied to.
func (l *loader) live(x int, seen map[int]bool) bool {
	return l.reaches(x, l.reads, seen)
}

// local is a slot the statement writes.
func (l *loader) local(x ir.Local) int {
	l.event(int(x), true)
	l.max = max(l.max, int(x))
	return int(x)
}

// read is a slot the statement reads.
func (l *loader) read(x ir.Local) int {
	l.event(int(x), false)
	l.reads[int(x)] = true
	if !l.toBuiltin {
		l.kept[int(x)] = true
	}
	l.max = max(l.max, int(x))
	return int(x)
}

// mayNotWrite marks the writes among the events from first on as writes
// that may not happen.
func (l *loader) mayNotWrite(first int) {
	for i := first; i < len(l.events); i++ {
		l.events[i].maybe = l.events[i].write
	}
}

func (l *loader) event(x int, write bool) {
	l.events = append(l.events, event{write: write, slot: x, at: slices.Clone(l.at)})
}

func (l *loader) operand(o ir.Operand) (operand, error) {
	v := o.Value
	// A plan read from JSON holds pointers to its operand values.
	switch p := v.(type) {
	case *ir.Local:
		v = *p
	case *ir.StringIndex:
		v = *p
	case *ir.Bool:
		v = *p
	}
	switch v := v.(type) {
	case ir.Local:
		return operand{local: l.read(v)}, nil
	case ir.StringIndex:
		if int(v) < 0 || int(v) >= len(l.strings) {
			return operand{}, fmt.Errorf("string constant %d out of range", v)
		}
		return operand{konst: l.strings[v]}, nil
	case ir.Bool:
		return operand{konst: ast.InternedTerm(bool(v))}, nil
	}
	return operand{}, fmt.Errorf("operand %v: unknown kind", o.Value)
}

// localOf is the local an operand reads, if it reads one.
func localOf(o ir.Operand) (ir.Local, bool) {
	switch v := o.Value.(type) {
	case ir.Local:
		return v, true
	case *ir.Local:
		return *v, true
	}
	return 0, false
}

func (l *loader) where(loc *ir.Location) where {
	w := where{row: loc.Row, col: loc.Col}
	if loc.File >= 0 && loc.File < len(l.files) {
		w.file = l.files[loc.File]
	}
	return w
}

func (l *loader) block(b *ir.Block) ([]stmt, error) {
	out := make([]stmt, 0, len(b.Stmts))
	list := l.lists
	l.lists++
	l.at = append(l.at, place{list: list})
	defer func() { l.at = l.at[:len(l.at)-1] }()
	for i := 0; i < len(b.Stmts); i++ {
		l.at[len(l.at)-1].index = i
		if c, n, err := l.fuse(b.Stmts[i:]); err != nil {
			return nil, err
		} else if n > 0 {
			out = append(out, c)
			i += n - 1
			continue
		}
		c, err := l.stmt(b.Stmts[i])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// fuse converts a MakeArrayStmt or MakeObjectStmt at the head of stmts
// together with the appends or inserts into it that follow, and returns
// how many statements it took (0 when there is nothing to fuse). Those
// statements cannot fail and read no other statement's result, so
// building the value at once is the same.
func (l *loader) fuse(stmts []ir.Stmt) (stmt, int, error) {
	ops := &operands{l: l}
	reads := func(o ir.Operand, x ir.Local) bool {
		v, ok := localOf(o)
		return ok && v == x
	}
	switch head := stmts[0].(type) {
	case *ir.MakeArrayStmt:
		t := head.Target
		first := len(l.events)
		f := &makeArrayOfStmt{target: l.local(t)}
		n := 1
		for ; n < len(stmts); n++ {
			a, ok := stmts[n].(*ir.ArrayAppendStmt)
			if !ok || a.Array != t || reads(a.Value, t) {
				break
			}
			f.elems = append(f.elems, ops.of(a.Value))
		}
		if n == 1 {
			return nil, 0, nil
		}
		if konsts, ok := constants(f.elems); ok {
			l.made = append(l.made, &madeValue{target: f.target, value: ast.ArrayTerm(konsts...), shared: &f.shared})
		}
		if c, ok := stmts[min(n, len(stmts)-1)].(*ir.CallStmt); n < len(stmts) && ok && c.Func == ast.Concat.Name && len(c.Args) == 2 && reads(c.Args[1], t) && !reads(c.Args[0], t) {
			if bi, ok := l.builtins[c.Func]; ok {
				// The array is not read by the call (its elements are),
				// so that end can tell whether anything else reads it;
				// and its write may not happen.
				l.mayNotWrite(first)
				l.toBuiltin = true
				delim := ops.of(c.Args[0])
				l.toBuiltin = false
				j := &concatOfStmt{array: f, delim: delim, bi: bi, result: l.local(c.Result), at: l.where(c.GetLocation())}
				l.joins = append(l.joins, join{stmt: j, at: slices.Clone(l.at)})
				return j, n + 1, ops.err
			}
		}
		return f, n, ops.err
	case *ir.MakeObjectStmt:
		t := head.Target
		f := &makeObjectOfStmt{target: l.local(t)}
		n := 1
		for ; n < len(stmts); n++ {
			o, ok := stmts[n].(*ir.ObjectInsertStmt)
			if !ok || o.Object != t || reads(o.Key, t) || reads(o.Value, t) {
				break
			}
			f.keys = append(f.keys, ops.of(o.Key))
			f.values = append(f.values, ops.of(o.Value))
		}
		if n == 1 {
			return nil, 0, nil
		}
		keys, ok := constants(f.keys)
		values, ok2 := constants(f.values)
		if ok && ok2 {
			obj := ast.NewObject()
			for i := range keys {
				obj.Insert(keys[i], values[i])
			}
			l.made = append(l.made, &madeValue{target: f.target, value: ast.NewTerm(obj), shared: &f.shared})
		}
		return f, n, ops.err
	}
	return nil, 0, nil
}

// constants are the values of operands that are all constants.
func constants(ops []operand) ([]*ast.Term, bool) {
	out := make([]*ast.Term, len(ops))
	for i, o := range ops {
		if o.konst == nil {
			return nil, false
		}
		out[i] = o.konst
	}
	return out, true
}

func (l *loader) blocks(bs []*ir.Block) ([][]stmt, error) {
	out := make([][]stmt, 0, len(bs))
	for _, b := range bs {
		c, err := l.block(b)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// operands converts the operands of one statement, stopping at the first
// error.
type operands struct {
	l   *loader
	err error
}

func (o *operands) of(x ir.Operand) operand {
	if o.err != nil {
		return operand{}
	}
	v, err := o.l.operand(x)
	o.err = err
	return v
}

func (l *loader) stmt(s ir.Stmt) (stmt, error) {
	ops := &operands{l: l}
	var out stmt
	switch s := s.(type) {
	case *ir.ReturnLocalStmt:
		out = &returnStmt{src: l.read(s.Source)}
	case *ir.CallStmt:
		c := &callStmt{result: l.local(s.Result), at: l.where(s.GetLocation())}
		_, l.toBuiltin = l.builtins[s.Func]
		for _, a := range s.Args {
			c.args = append(c.args, ops.of(a))
		}
		l.toBuiltin = false
		if fn, ok := l.funcs[s.Func]; ok {
			if len(fn.params) != len(c.args) {
				return nil, fmt.Errorf("call %s with %d arguments, want %d", s.Func, len(c.args), len(fn.params))
			}
			c.fn = fn
		} else if bi, ok := l.builtins[s.Func]; ok {
			c.bi = bi
		} else {
			return nil, fmt.Errorf("call %s: no such function or built-in", s.Func)
		}
		out = c
	case *ir.BlockStmt:
		bs, err := l.blocks(s.Blocks)
		if err != nil {
			return nil, err
		}
		out = &blockStmt{blocks: bs}
	case *ir.BreakStmt:
		out = &breakStmt{index: int(s.Index)}
	case *ir.DotStmt:
		out = &dotStmt{src: ops.of(s.Source), key: ops.of(s.Key), target: l.local(s.Target)}
	case *ir.LenStmt:
		out = &lenStmt{src: ops.of(s.Source), target: l.local(s.Target)}
	case *ir.ScanStmt:
		body, err := l.block(s.Block)
		if err != nil {
			return nil, err
		}
		first := len(l.events)
		scan := &scanStmt{src: l.read(s.Source), key: l.local(s.Key), value: l.local(s.Value), body: body}
		l.mayNotWrite(first)
		l.scans = append(l.scans, scan)
		out = scan
	case *ir.NotStmt:
		body, err := l.block(s.Block)
		if err != nil {
			return nil, err
		}
		out = &notStmt{body: body}
	case *ir.AssignIntStmt:
		out = &assignIntStmt{value: ast.IntNumberTerm(int(s.Value)), target: l.local(s.Target)}
	case *ir.AssignVarStmt:
		if src, ok := localOf(s.Source); ok {
			// A copy is not a read: a scan's key copied to a slot that
			// nothing reads need not be made.
			l.event(int(src), false)
			l.max = max(l.max, int(src))
			l.copies[int(src)] = append(l.copies[int(src)], l.local(s.Target))
			out = &assignStmt{src: operand{local: int(src)}, target: int(s.Target)}
			break
		}
		out = &assignStmt{src: ops.of(s.Source), target: l.local(s.Target)}
	case *ir.AssignVarOnceStmt:
		out = &assignOnceStmt{src: ops.of(s.Source), target: l.local(s.Target), at: l.where(s.GetLocation())}
	case *ir.ResetLocalStmt:
		out = &resetStmt{target: l.local(s.Target)}
	case *ir.MakeNullStmt:
		out = &makeValueStmt{value: ast.InternedNullTerm, target: l.local(s.Target)}
	case *ir.MakeNumberIntStmt:
		out = &makeValueStmt{value: ast.IntNumberTerm(int(s.Value)), target: l.local(s.Target)}
	case *ir.MakeNumberRefStmt:
		if s.Index < 0 || s.Index >= len(l.strings) {
			return nil, fmt.Errorf("number constant %d out of range", s.Index)
		}
		n := ast.Number(l.strings[s.Index].Value.(ast.String))
		if _, ok := n.Int64(); !ok {
			if _, ok := n.Float64(); !ok {
				return nil, fmt.Errorf("number constant %q is not a number", string(n))
			}
		}
		out = &makeValueStmt{value: ast.NewTerm(n), target: l.local(s.Target)}
	case *ir.MakeArrayStmt:
		m := &makeArrayStmt{capacity: int(max(s.Capacity, 0)), target: l.local(s.Target)}
		l.made = append(l.made, &madeValue{target: m.target, value: ast.ArrayTerm(), shared: &m.shared})
		out = m
	case *ir.MakeObjectStmt:
		m := &makeObjectStmt{target: l.local(s.Target)}
		l.made = append(l.made, &madeValue{target: m.target, value: ast.ObjectTerm(), shared: &m.shared})
		out = m
	case *ir.MakeSetStmt:
		out = &makeSetStmt{target: l.local(s.Target)}
	case *ir.EqualStmt:
		out = &equalStmt{a: ops.of(s.A), b: ops.of(s.B)}
	case *ir.NotEqualStmt:
		out = &notEqualStmt{a: ops.of(s.A), b: ops.of(s.B)}
	case *ir.IsArrayStmt:
		out = &isTypeStmt{src: ops.of(s.Source), kind: isArray}
	case *ir.IsObjectStmt:
		out = &isTypeStmt{src: ops.of(s.Source), kind: isObject}
	case *ir.IsSetStmt:
		out = &isTypeStmt{src: ops.of(s.Source), kind: isSet}
	case *ir.IsDefinedStmt:
		out = &isDefinedStmt{src: l.read(s.Source)}
	case *ir.IsUndefinedStmt:
		out = &isUndefinedStmt{src: l.read(s.Source)}
	case *ir.ArrayAppendStmt:
		out = &arrayAppendStmt{value: ops.of(s.Value), array: l.read(s.Array)}
	case *ir.ObjectInsertStmt:
		out = &objectInsertStmt{key: ops.of(s.Key), value: ops.of(s.Value), object: l.read(s.Object)}
	case *ir.ObjectInsertOnceStmt:
		out = &objectInsertStmt{key: ops.of(s.Key), value: ops.of(s.Value), object: l.read(s.Object), once: true, at: l.where(s.GetLocation())}
	case *ir.ObjectMergeStmt:
		out = &objectMergeStmt{a: l.read(s.A), b: l.read(s.B), target: l.local(s.Target), at: l.where(s.GetLocation())}
	case *ir.SetAddStmt:
		out = &setAddStmt{value: ops.of(s.Value), set: l.read(s.Set)}
	case *ir.ResultSetAddStmt:
		out = &resultAddStmt{value: l.read(s.Value)}
	case *ir.NopStmt:
		out = &nopStmt{}
	default:
		// WithStmt and CallDynamicStmt among them: OPA's evaluator runs
		// such policies.
		return nil, fmt.Errorf("statement %T is not supported", s)
	}
	if ops.err != nil {
		return nil, ops.err
	}
	return out, nil
}
