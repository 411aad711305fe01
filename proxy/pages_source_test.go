package proxy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestHTMLOnlyThroughRenderPage: every HTML answer of mcpgate goes
// through renderPage, which sets the framing, script and caching headers;
// a handler writing HTML itself would ship a page that can be framed.
func TestHTMLOnlyThroughRenderPage(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Name.Name == "renderPage" {
				continue
			}
			ast.Inspect(fn, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if n.Sel.Name == "HTML" || n.Sel.Name == "HTMLBlob" {
						t.Errorf("%s: %s writes HTML itself; use renderPage", fset.Position(n.Pos()), fn.Name.Name)
					}
				case *ast.BasicLit:
					if n.Kind == token.STRING && strings.Contains(n.Value, "text/html") && fn.Name.Name != "wantsJSON" {
						t.Errorf("%s: %s names text/html; HTML goes through renderPage", fset.Position(n.Pos()), fn.Name.Name)
					}
				}
				return true
			})
		}
	}
}
