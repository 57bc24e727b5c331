package siussfeed_test

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/welfaregov/gateway/gateway/siussfeed"
)

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	redis.SetLogger(quietLogger{}) // the store-down test dials a closed port on purpose
	os.Exit(m.Run())
}

func FuzzParseEsiti(f *testing.F) {
	f.Add([]byte(`{"elenco_esiti":[{"id_flusso":"L378.PS.20260101.0000001","tipo":"SINBA","ts_flusso":"2026-01-01T00:00:00.000Z","ts_acquisizione":"x","codice_esito":"OK","codice_siuss":"1"}]}`))
	f.Add([]byte(`{"elenco_esiti":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		list, err := siussfeed.ParseEsiti(body)
		if err == nil && len(list) > siussfeed.MaxEsiti {
			t.Fatalf("%d esiti accepted", len(list))
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	f.Add("0", true, "10", "")
	f.Add("99999999999999999999", true, "", "5")
	f.Add("-0", false, "1e2", "x")
	f.Fuzz(func(t *testing.T, since string, has bool, limit, maxEntries string) {
		q, err := siussfeed.ParseQuery(since, has, limit, maxEntries)
		if err == nil && (q.Since < 0 || q.Limit < 1 || q.Limit > siussfeed.MaxLimit) {
			t.Fatalf("accepted %+v", q)
		}
	})
}
