package problem

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestREADMEListsEveryType fails when a Type declared in this package is missing from README.md,
// or listed with another status or title.
func TestREADMEListsEveryType(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "problem.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok || len(lit.Elts) != 3 {
			return true
		}
		if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "Type" {
			return true
		}
		code, _ := strconv.Unquote(lit.Elts[0].(*ast.BasicLit).Value)
		title, _ := strconv.Unquote(lit.Elts[2].(*ast.BasicLit).Value)
		var status int
		for _, ty := range []Type{BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, NotAcceptable,
			RequestTimeout, PayloadTooLarge, UnsupportedMedia, Unprocessable, TooManyRequests, Internal, BadGateway,
			ServiceUnavailable, GatewayTimeout, Healthy, DependencyDown, InvalidParameter, RecoveredPanic,
			MaintenanceDraining, UpstreamUnavailable, UpstreamInvalidReply} {
			if ty.Code == code {
				status = ty.Status
			}
		}
		if status == 0 {
			t.Errorf("type %q is declared but missing from this test's list of variables", code)
		}
		row := "| `" + code + "` | " + strconv.Itoa(status) + " | " + title + " |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md has no row starting %q", row)
		}
		found++
		return true
	})
	if found < 20 {
		t.Fatalf("found only %d types in problem.go", found)
	}
}
