package console

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// sparkline draws values (oldest first) as a small inline SVG polyline, scaled to its own maximum;
// the title says what it shows. NaN values (no data in the interval) are drawn as 0.
func sparkline(values []float64, title string) template.HTML {
	const w, h = 120.0, 24.0
	if len(values) < 2 {
		return template.HTML(fmt.Sprintf(`<svg class="spark" width="%g" height="%g" role="img" aria-label="%s"><title>%s</title><line x1="0" y1="%g" x2="%g" y2="%g"/></svg>`,
			w, h, template.HTMLEscapeString(title), template.HTMLEscapeString(title+" (not enough samples yet)"), h-1, w, h-1))
	}
	top := 0.0
	for _, v := range values {
		if !math.IsNaN(v) && v > top {
			top = v
		}
	}
	var pts strings.Builder
	for i, v := range values {
		if math.IsNaN(v) {
			v = 0
		}
		y := h - 1
		if top > 0 {
			y = h - 1 - (h-2)*v/top
		}
		fmt.Fprintf(&pts, "%.1f,%.1f ", w*float64(i)/float64(len(values)-1), y)
	}
	return template.HTML(fmt.Sprintf(`<svg class="spark" width="%g" height="%g" role="img" aria-label="%s"><title>%s (max %s)</title><polyline points="%s"/></svg>`,
		w, h, template.HTMLEscapeString(title), template.HTMLEscapeString(title), formatNumber(top), strings.TrimSpace(pts.String())))
}

func formatNumber(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}
