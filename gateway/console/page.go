package console

import (
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"time"
)

//go:embed dashboard.html
var pageSource string

// pageTemplate renders the dashboard ("page") and its self-refreshing part ("panel").
var pageTemplate = template.Must(template.New("dashboard").Funcs(template.FuncMap{
	"ms":      millis,
	"pct":     percent,
	"ago":     ago,
	"until":   until,
	"bytes":   byteSize,
	"utc":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
	"healthy": healthy,
}).Parse(pageSource))

func millis(f Float) string {
	if !f.Valid() {
		return "–"
	}
	v := float64(f) * 1000
	if v < 10 {
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func percent(v any) string {
	var f float64
	switch x := v.(type) {
	case Float:
		f = float64(x)
	case float64:
		f = x
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return roughly(time.Since(t)) + " ago"
}

func until(t time.Time) string {
	d := time.Until(t)
	if d < 0 {
		return "expired " + roughly(-d) + " ago"
	}
	return "in " + roughly(d)
}

func roughly(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// healthy names the CSS class of a state.
func healthy(state string) string {
	switch state {
	case "closed", "COMPLETED", "ok", "up":
		return "good"
	case "half-open", "forced-closed", "WARNING", "OPEN", "WAITING", "PENDING":
		return "warn"
	}
	return "bad"
}
