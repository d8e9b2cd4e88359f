//! SVG bar charts for the HTML report: plain SVG text, no scripts, readable when printed.

/// Escapes text for XML.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A horizontal bar chart of (label, count) against `base`, titled `title`.
pub fn bar_chart(title: &str, bars: &[(String, usize)], base: usize) -> String {
    let label_w = 300.0;
    let bar_w = 320.0;
    let row_h = 24.0;
    let top = 28.0;
    let width = label_w + bar_w + 90.0;
    let height = top + row_h * bars.len() as f64 + 8.0;
    let max = bars.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" aria-label=\"{}\">\n<title>{}</title>\n<text x=\"0\" y=\"16\" class=\"chart-title\">{}</text>\n",
        xml_escape(title),
        xml_escape(title),
        xml_escape(title)
    );
    for (i, (label, n)) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let w = bar_w * (*n as f64) / max;
        let pct = if base == 0 {
            0.0
        } else {
            *n as f64 * 100.0 / base as f64
        };
        // A zero bar is no rectangle at all (a rectangle of width 0 is invalid SVG).
        let bar = if w > 0.0 {
            format!(
                "<rect x=\"{label_w}\" y=\"{ry}\" width=\"{w:.1}\" height=\"{bh}\" class=\"chart-bar\"/>\n",
                ry = y + 3.0,
                bh = row_h - 6.0,
            )
        } else {
            String::new()
        };
        s.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"chart-label\">{label}</text>\n{bar}<text x=\"{vx:.1}\" y=\"{ty}\" class=\"chart-value\">{n} ({pct:.0}%)</text>\n",
            lx = label_w - 8.0,
            ty = y + 16.0,
            label = xml_escape(label),
            vx = label_w + w + 6.0,
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn chart_escapes_labels_and_scales_bars() {
        let svg = super::bar_chart("A & B", &[("<script>".into(), 10), ("Two".into(), 5)], 20);
        assert!(svg.contains("A &amp; B"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("width=\"320.0\""), "largest bar is full width");
        assert!(svg.contains("width=\"160.0\""));
        assert!(svg.contains("10 (50%)"));
        let zero = super::bar_chart("Z", &[("None".into(), 0), ("Some".into(), 2)], 2);
        assert_eq!(
            zero.matches("<rect").count(),
            1,
            "no rectangle for a zero bar"
        );
    }
}
