package tracing

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collectTimeout bounds the store reads of one scrape.
const collectTimeout = 5 * time.Second

var (
	daysDesc = prometheus.NewDesc("wgw_pdnd_tracing_days",
		"Days within the retention by reporting state (OPEN, WAITING, PENDING, COMPLETED, WARNING, FAILED, FOREIGN, NO_DATA).",
		[]string{"tenant", "state"}, nil)
	latestDesc = prometheus.NewDesc("wgw_pdnd_tracing_latest_accepted_day_timestamp_seconds",
		"Start (Unix time) of the latest day PDND accepted (COMPLETED or WARNING). Alert when it is more than two days old.",
		[]string{"tenant"}, nil)
	upDesc = prometheus.NewDesc("wgw_pdnd_tracing_status_up",
		"1 when the reporting state could be read from the store during this scrape.", nil, nil)
)

// Collector exposes the reporting state to Prometheus, read from the shared store at each scrape, so
// every replica reports the same numbers.
func (r *Reporter) Collector() prometheus.Collector { return collector{r} }

type collector struct{ r *Reporter }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- daysDesc
	ch <- latestDesc
	ch <- upDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	days, err := c.r.Status(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
	counts := map[[2]string]int{}
	latest := map[string]Day{}
	for _, t := range c.r.tenants {
		for _, st := range []LocalState{LocalOpen, LocalWaiting, LocalPending, LocalCompleted, LocalWarning, LocalFailed, LocalForeign, LocalNoData} {
			counts[[2]string{t.id, string(st)}] = 0
		}
	}
	for _, d := range days {
		counts[[2]string{d.Tenant, string(d.State)}]++
		if (d.State == LocalCompleted || d.State == LocalWarning) && latest[d.Tenant].Before(d.Date) {
			latest[d.Tenant] = d.Date
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(daysDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
	for tenant, d := range latest {
		ch <- prometheus.MustNewConstMetric(latestDesc, prometheus.GaugeValue, float64(d.Start(c.r.loc).Unix()), tenant)
	}
}
