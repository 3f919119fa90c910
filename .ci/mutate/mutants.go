package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Operator names a kind of mutation. The set follows the classic mutation
// operators (Offutt's relational, logical and arithmetic operator
// replacement; statement deletion), as Go tools such as go-gremlins name
// them, plus the deleted call the independent test used.
type Operator string

const (
	// ConditionalsBoundary moves a comparison's boundary: < <=, > >=.
	ConditionalsBoundary Operator = "conditionals-boundary"
	// ConditionalsNegation negates a comparison: == !=, < >=, > <=.
	ConditionalsNegation Operator = "conditionals-negation"
	// InvertLogical swaps && and ||.
	InvertLogical Operator = "invert-logical"
	// ArithmeticBase swaps + and -, * and /.
	ArithmeticBase Operator = "arithmetic-base"
	// IncrementDecrement swaps ++ and --.
	IncrementDecrement Operator = "increment-decrement"
	// NegateCondition negates an if condition that is not a comparison
	// (a boolean variable, field or call).
	NegateCondition Operator = "negate-condition"
	// RemoveNot drops a logical not.
	RemoveNot Operator = "remove-not"
	// DeleteCall deletes a call made as a statement.
	DeleteCall Operator = "delete-call"
	// FlipReturn returns the other boolean constant.
	FlipReturn Operator = "flip-return"
)

// Mutant is one small change to one file.
type Mutant struct {
	// ID names the mutant stably across unrelated edits: the file, the
	// enclosing function, the operator, the change, the trimmed source line
	// and which occurrence of that same line and change in the function it
	// is. Line numbers are left out on purpose: they move with every edit
	// above, and the survivors list must not.
	ID string
	// File is the path relative to the repository root; Line is where the
	// change is, for people.
	File string
	Line int
	// Operator is the kind of change; Change says what it does ("< -> <=").
	Operator Operator
	Change   string
	// start and end delimit the replaced bytes of the original source;
	// replacement is what stands there in the mutant.
	start, end  int
	replacement string
}

// Apply returns src with the mutation applied.
func (m Mutant) Apply(src []byte) []byte {
	out := make([]byte, 0, len(src)+len(m.replacement))
	out = append(out, src[:m.start]...)
	out = append(out, m.replacement...)
	return append(out, src[m.end:]...)
}

var (
	boundary = map[token.Token]token.Token{token.LSS: token.LEQ, token.LEQ: token.LSS, token.GTR: token.GEQ, token.GEQ: token.GTR}
	negation = map[token.Token]token.Token{
		token.EQL: token.NEQ, token.NEQ: token.EQL, token.LSS: token.GEQ, token.GEQ: token.LSS,
		token.GTR: token.LEQ, token.LEQ: token.GTR,
	}
	logical    = map[token.Token]token.Token{token.LAND: token.LOR, token.LOR: token.LAND}
	arithmetic = map[token.Token]token.Token{token.ADD: token.SUB, token.SUB: token.ADD, token.MUL: token.QUO, token.QUO: token.MUL}
)

// skippedFuncs are functions whose mutants can only change how a value is
// named in a trace or an error, never what a node does: String and Kind
// methods, and the Stringers of test data.
var skippedFuncs = map[string]bool{"String": true, "Kind": true, "GoString": true, "Format": true}

// FindMutants lists the mutants of the non-test Go files of dir (relative to
// root), in file and source order. Code that only runs for a deliberately
// broken variant (inside an if whose condition names a bug switch) and
// assertions (an if whose body only panics) are left alone: a mutant there
// cannot change the correct protocol, only weaken a check of our own.
func FindMutants(root, dir string) ([]Mutant, error) {
	files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	var all []Mutant
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return nil, err
		}
		ms, err := fileMutants(filepath.ToSlash(rel), src)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	return all, nil
}

// finder walks one file and collects its mutants.
type finder struct {
	fset    *token.FileSet
	file    string
	src     []byte
	fn      string
	seen    map[string]int
	mutants []Mutant
}

func fileMutants(file string, src []byte) ([]Mutant, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("mutate: %w", err)
	}
	fd := &finder{fset: fset, file: file, src: src}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil || skippedFuncs[fn.Name.Name] {
			continue
		}
		fd.fn = funcName(fn)
		fd.seen = map[string]int{}
		ast.Inspect(fn.Body, fd.visit)
	}
	return fd.mutants, nil
}

func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	var b bytes.Buffer
	recv := fn.Recv.List[0].Type
	if star, ok := recv.(*ast.StarExpr); ok {
		b.WriteString("*")
		recv = star.X
	}
	if idx, ok := recv.(*ast.IndexExpr); ok {
		recv = idx.X
	}
	if id, ok := recv.(*ast.Ident); ok {
		b.WriteString(id.Name)
	}
	return "(" + b.String() + ")." + fn.Name.Name
}

func (fd *finder) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.IfStmt:
		if fd.mentionsBug(n.Cond) {
			return false // a broken variant's code path
		}
		if onlyPanics(n.Body) && n.Else == nil {
			return false // an assertion
		}
		if !isComparison(n.Cond) {
			fd.add(n.Cond.Pos(), n.Cond.End(), NegateCondition, "!("+fd.text(n.Cond.Pos(), n.Cond.End())+")", "cond -> !(cond)")
		}
	case *ast.BinaryExpr:
		fd.binary(n)
	case *ast.IncDecStmt:
		other := token.INC
		if n.Tok == token.INC {
			other = token.DEC
		}
		fd.add(n.TokPos, n.TokPos+token.Pos(len(n.Tok.String())), IncrementDecrement, other.String(), n.Tok.String()+" -> "+other.String())
	case *ast.UnaryExpr:
		if n.Op == token.NOT {
			fd.add(n.OpPos, n.OpPos+1, RemoveNot, "", "!x -> x")
		}
	case *ast.ExprStmt:
		if call, ok := n.X.(*ast.CallExpr); ok && !isPanic(call) {
			fd.add(n.Pos(), n.End(), DeleteCall, "", "delete "+fd.text(call.Fun.Pos(), call.Fun.End())+"(...)")
		}
	case *ast.ReturnStmt:
		if len(n.Results) == 1 {
			if id, ok := n.Results[0].(*ast.Ident); ok && (id.Name == "true" || id.Name == "false") {
				other := map[string]string{"true": "false", "false": "true"}[id.Name]
				fd.add(id.Pos(), id.End(), FlipReturn, other, "return "+id.Name+" -> "+other)
			}
		}
	}
	return true
}

func (fd *finder) binary(n *ast.BinaryExpr) {
	op := n.Op
	end := n.OpPos + token.Pos(len(op.String()))
	if to, ok := boundary[op]; ok {
		fd.add(n.OpPos, end, ConditionalsBoundary, to.String(), op.String()+" -> "+to.String())
	}
	if to, ok := negation[op]; ok {
		fd.add(n.OpPos, end, ConditionalsNegation, to.String(), op.String()+" -> "+to.String())
	}
	if to, ok := logical[op]; ok {
		fd.add(n.OpPos, end, InvertLogical, to.String(), op.String()+" -> "+to.String())
	}
	if to, ok := arithmetic[op]; ok && !isStringLiteral(n.X) && !isStringLiteral(n.Y) {
		fd.add(n.OpPos, end, ArithmeticBase, to.String(), op.String()+" -> "+to.String())
	}
}

func (fd *finder) add(start, end token.Pos, op Operator, replacement, change string) {
	pos := fd.fset.Position(start)
	line := strings.TrimSpace(lineAt(fd.src, pos.Offset))
	key := string(op) + "|" + change + "|" + line
	fd.seen[key]++
	id := fmt.Sprintf("%s %s %s [%s] %q #%d", fd.file, fd.fn, op, change, line, fd.seen[key])
	fd.mutants = append(fd.mutants, Mutant{
		ID: id, File: fd.file, Line: pos.Line, Operator: op, Change: change,
		start: fd.fset.Position(start).Offset, end: fd.fset.Position(end).Offset, replacement: replacement,
	})
}

func (fd *finder) text(start, end token.Pos) string {
	return string(fd.src[fd.fset.Position(start).Offset:fd.fset.Position(end).Offset])
}

// mentionsBug reports whether an expression names a bug switch (a field
// or variable whose name contains "bug", as raft.Bugs and paxos.Bugs).
func (fd *finder) mentionsBug(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && strings.Contains(strings.ToLower(id.Name), "bug") {
			found = true
		}
		return !found
	})
	return found
}

func lineAt(src []byte, offset int) string {
	start := bytes.LastIndexByte(src[:offset], '\n') + 1
	end := bytes.IndexByte(src[offset:], '\n')
	if end < 0 {
		return string(src[start:])
	}
	return string(src[start : offset+end])
}

func isComparison(e ast.Expr) bool {
	if p, ok := e.(*ast.ParenExpr); ok {
		return isComparison(p.X)
	}
	b, ok := e.(*ast.BinaryExpr)
	if !ok {
		return false
	}
	_, cmp := negation[b.Op]
	return cmp
}

func isPanic(call *ast.CallExpr) bool {
	id, ok := call.Fun.(*ast.Ident)
	return ok && id.Name == "panic"
}

func onlyPanics(body *ast.BlockStmt) bool {
	if len(body.List) != 1 {
		return false
	}
	stmt, ok := body.List[0].(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := stmt.X.(*ast.CallExpr)
	return ok && isPanic(call)
}

func isStringLiteral(e ast.Expr) bool {
	lit, ok := e.(*ast.BasicLit)
	return ok && lit.Kind == token.STRING
}
