//! A line chart of weekly totals drawn on the server as SVG: no JavaScript, readable on a
//! phone (it scales to the width of the page), colours as presentation attributes (the
//! content security policy forbids inline styles).

use std::fmt::Write;

/// One line of the chart.
pub struct Series<'a> {
    pub name: &'a str,
    pub colour: &'a str,
    pub values: Vec<i64>,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 64.0;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round axis maximum at or above `max` (1, 2, 5 × 10^n).
fn nice_max(max: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// The chart: one x position per label (week), one polyline per series, a legend, and
/// a `<title>` per point so a pointer shows the exact figure.
pub fn line_chart_svg(title: &str, labels: &[String], series: &[Series<'_>]) -> String {
    let max = nice_max(
        series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .max()
            .unwrap_or(0),
    );
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = labels.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: i64| TOP + plot_h - plot_h * v as f64 / max as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-label="{}" class="chart"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    for k in 0..=4 {
        let v = max * k / 4;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end" fill="#555">{v}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y(v) + 4.0,
            y = y(v)
        );
    }
    let every = n.div_ceil(12);
    for (i, label) in labels.iter().enumerate() {
        if i % every == 0 || i + 1 == n {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#555" transform="rotate(-45 {:.1} {:.1})">{}</text>"##,
                x(i),
                HEIGHT - BOTTOM + 14.0,
                x(i),
                HEIGHT - BOTTOM + 14.0,
                escape(label)
            );
        }
    }
    for (k, s) in series.iter().enumerate() {
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        let colour = escape(s.colour);
        let _ = write!(
            svg,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            points.join(" ")
        );
        for (i, v) in s.values.iter().enumerate() {
            let label = labels.get(i).map(String::as_str).unwrap_or("");
            let _ = write!(
                svg,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{} {}: {v}</title></circle>"#,
                x(i),
                y(*v),
                escape(s.name),
                escape(label)
            );
        }
        let lx = LEFT + 150.0 * k as f64;
        let _ = write!(
            svg,
            r##"<rect x="{lx}" y="{}" width="12" height="12" fill="{colour}"/><text x="{}" y="{}" font-size="12" fill="#222">{}</text>"##,
            HEIGHT - 16.0,
            lx + 16.0,
            HEIGHT - 6.0,
            escape(s.name)
        );
    }
    svg.push_str("</svg>");
    svg
}
