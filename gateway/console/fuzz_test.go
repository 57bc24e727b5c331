package console

import (
	"strings"
	"testing"
)

// FuzzDecodeAction: any body decodes or is refused with a problem that never quotes it, and a
// reason that passes is one line of at most maxReason bytes.
func FuzzDecodeAction(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"reason":"ticket 4711"}`, `{"codiceFiscale":"RSSMRA80A01H501U"}`,
		`{"retryAfterSeconds":120}`, `{"cf":"RSSMRA80A01H501U"}`, `{"reason":"a\nb"}`, `[`, `{"codiceFiscale":1}`, `{} {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodeAction(body)
		if err != nil {
			if secret := "RSSMRA80A01H501U"; strings.Contains(string(body), secret) && strings.Contains(err.Error(), secret) {
				t.Fatalf("the refusal quotes the body: %v", err)
			}
			return
		}
		if len(r.Reason) > maxReason || strings.ContainsAny(r.Reason, "\r\n\t\x00") {
			t.Fatalf("reason %q passed", r.Reason)
		}
	})
}
