package dockerfile

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse: any input either parses into at least one stage of known instructions, or fails
// with a *SyntaxError; it never panics. Seeded with this project's Dockerfile and the test
// sample. (deploy/ is its own module, so .ci/fuzz does not run it: go test -fuzz FuzzParse here.)
func FuzzParse(f *testing.F) {
	f.Add(sample)
	if b, err := os.ReadFile("../../Dockerfile"); err == nil {
		f.Add(string(b))
	}
	f.Add("FROM a\nRUN x \\\n")
	f.Add("# escape=`\nFROM a AS b\nCOPY --from=b [\"x\", \"y\"] /\n")
	f.Fuzz(func(t *testing.T, src string) {
		file, err := Parse(strings.NewReader(src))
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok && !strings.HasPrefix(err.Error(), "dockerfile: reading") {
				t.Fatalf("error %T %v is not a *SyntaxError", err, err)
			}
			return
		}
		if len(file.Stages) == 0 {
			t.Fatal("parsed without a stage")
		}
		for _, st := range file.Stages {
			for _, in := range append([]Instruction{st.From}, st.Instructions...) {
				if !known[in.Cmd] {
					t.Fatalf("unknown instruction %q accepted", in.Cmd)
				}
			}
		}
	})
}
