package tracing

import (
	"errors"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestStatusCodesMatchNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: the embedded list is checked against Node's http.STATUS_CODES only where node is installed")
	}
	out, err := exec.Command(node, "-e", `console.log(Object.keys(require("http").STATUS_CODES).join(","))`).Output()
	if err != nil {
		t.Fatal(err)
	}
	var codes []int
	for _, f := range strings.Split(strings.TrimSpace(string(out)), ",") {
		c, _ := strconv.Atoi(f)
		codes = append(codes, c)
	}
	if !slices.Equal(codes, ReportableStatuses()) {
		t.Fatalf("node %s has %v\nwe have %v", node, codes, ReportableStatuses())
	}
}

func TestNormalizeStatus(t *testing.T) {
	cases := map[int]int{200: 200, 404: 404, 418: 418, 451: 451, 511: 511, 0: 500, -1: 500, 99: 500, 600: 500, 999: 500,
		499: 400, 420: 400, 520: 500, 599: 500, 199: 100, 299: 200, 306: 300}
	for in, want := range cases {
		if got := NormalizeStatus(in); got != want || !IsReportableStatus(got) {
			t.Errorf("NormalizeStatus(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestGenerateCSVMergesSortsAndValidates(t *testing.T) {
	rows := []Row{
		{purpose1, 404, token1, 2},
		{strings.ToUpper(purpose1), 200, token1, 3},
		{purpose1, 200, strings.ToUpper(token1), 4}, // the same key in other case: merged
		{purpose2, 500, token2, 1},
	}
	got := string(GenerateCSV("2026-03-10", rows))
	want := "date,purpose_id,status,token_id,requests_count\r\n" +
		"2026-03-10," + purpose2 + ",500," + token2 + ",1\r\n" +
		"2026-03-10," + purpose1 + ",200," + token1 + ",7\r\n" +
		"2026-03-10," + purpose1 + ",404," + token1 + ",2\r\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if err := ValidateCSV("2026-03-10", []byte(got)); err != nil {
		t.Fatal(err)
	}
	if got := string(GenerateCSV("2026-03-10", nil)); got != Header+"\r\n" {
		t.Fatalf("empty day %q", got)
	}
}

func TestValidateCSVFindsEachRule(t *testing.T) {
	const d = "2026-03-10"
	row := func(date, purpose, status, token, count string) string {
		return strings.Join([]string{date, purpose, status, token, count}, ",") + "\n"
	}
	good := row(d, purpose1, "200", token1, "3")
	cases := map[string]struct {
		file string
		row  int
		code string
	}{
		"fail/bom":            {"\xef\xbb\xbf" + Header + "\n" + good, 0, CodeInvalidCSVHeaders},
		"fail/not-utf8":       {Header + "\n" + row(d, purpose1, "200", token1, "\xff"), 0, CodeInvalidCSV},
		"fail/header-order":   {"date,purpose_id,token_id,status,requests_count\n" + good, 0, CodeInvalidCSVHeaders},
		"fail/semicolons":     {strings.ReplaceAll(Header, ",", ";") + "\n" + good, 0, CodeInvalidCSVHeaders},
		"fail/no-final-eol":   {Header + "\n" + strings.TrimSuffix(good, "\n"), 0, CodeInvalidCSV},
		"fail/short-row":      {Header + "\n" + good + d + "," + purpose1 + ",200\n", 2, CodeInvalidRowSchema},
		"fail/other-date":     {Header + "\n" + row("2026-03-11", purpose1, "200", token1, "1"), 1, CodeInvalidDate},
		"fail/purpose":        {Header + "\n" + row(d, "not-a-uuid", "200", token1, "1"), 1, CodeInvalidPurpose},
		"fail/status-499":     {Header + "\n" + row(d, purpose1, "499", token1, "1"), 1, CodeInvalidStatusCode},
		"fail/status-padded":  {Header + "\n" + row(d, purpose1, "0200", token1, "1"), 1, CodeInvalidStatusCode},
		"fail/token":          {Header + "\n" + row(d, purpose1, "200", "jti-1", "1"), 1, CodeInvalidToken},
		"fail/count-negative": {Header + "\n" + row(d, purpose1, "200", token1, "-1"), 1, CodeInvalidRequestCount},
		"fail/count-decimal":  {Header + "\n" + row(d, purpose1, "200", token1, "1.5"), 1, CodeInvalidRequestCount},
		"fail/count-empty":    {Header + "\n" + row(d, purpose1, "200", token1, ""), 1, CodeInvalidRequestCount},
		"fail/duplicate":      {Header + "\n" + good + row(d, strings.ToUpper(purpose1), "200", token1, "1"), 2, CodeNotUnique},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := ValidateCSV(d, []byte(c.file))
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("accepted: %v", err)
			}
			first := verr.Errors[0]
			if first.Row != c.row || first.Code != c.code {
				t.Fatalf("got %v, want row %d %s", verr.Errors, c.row, c.code)
			}
		})
	}
	if err := ValidateCSV(d, []byte(Header+"\r\n"+strings.ReplaceAll(good, "\n", "\r\n"))); err != nil {
		t.Fatalf("CRLF: %v", err)
	}
}

// FuzzValidateCSV: any file is judged without panicking, and whatever GenerateCSV writes from
// rows that passed Count's checks is valid.
func FuzzValidateCSV(f *testing.F) {
	f.Add([]byte(GenerateCSV("2026-03-10", []Row{{purpose1, 200, token1, 3}})), purpose1, 200, int64(3))
	f.Add([]byte(Header+"\n,,,,\n"), "x", 0, int64(-1))
	f.Fuzz(func(t *testing.T, data []byte, purpose string, status int, n int64) {
		_ = ValidateCSV("2026-03-10", data)
		if isUUID(purpose) && n > 0 {
			out := GenerateCSV("2026-03-10", []Row{{purpose, NormalizeStatus(status), token1, n}})
			if err := ValidateCSV("2026-03-10", out); err != nil {
				t.Fatalf("generated file invalid: %v\n%s", err, out)
			}
		}
	})
}
