//! The report's two plots as plain SVG text: throughput over time, one line
//! per run, and the latency distribution (latency by percentile, the
//! percentile axis in nines so that the tail gets the room), one line per
//! target. Colours follow the targets' order.

use std::fmt::Write;

use super::summary::TargetRuns;

const COLOURS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 400.0;
/// Margins: the y labels on the left, the legend on the right.
const LEFT: f64 = 70.0;
const RIGHT: f64 = 260.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 45.0;

/// One line of a plot, in data coordinates.
struct Series {
    name: String,
    colour: &'static str,
    points: Vec<(f64, f64)>,
}

/// Axes: their ranges, their ticks, and whether y is logarithmic.
struct Axes {
    title: String,
    x_label: &'static str,
    y_label: &'static str,
    x_max: f64,
    y_min: f64,
    y_max: f64,
    log_y: bool,
    x_ticks: Vec<(f64, String)>,
    y_ticks: Vec<(f64, String)>,
}

impl Axes {
    fn x(&self, x: f64) -> f64 {
        LEFT + x / self.x_max.max(1e-9) * (WIDTH - LEFT - RIGHT)
    }

    fn y(&self, y: f64) -> f64 {
        let (y, lo, hi) = match self.log_y {
            true => (y.max(self.y_min).log10(), self.y_min.log10(), self.y_max.log10()),
            false => (y, self.y_min, self.y_max),
        };
        HEIGHT - BOTTOM - (y - lo) / (hi - lo).max(1e-9) * (HEIGHT - TOP - BOTTOM)
    }
}

fn plot(axes: &Axes, series: &[Series]) -> String {
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(svg, r#"<text x="{LEFT}" y="18" font-size="14">{}</text>"#, axes.title);
    let (x0, x1, y0, y1) = (LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP);
    for (x, label) in &axes.x_ticks {
        let px = axes.x(*x);
        let _ = writeln!(
            svg,
            r##"<line x1="{px:.1}" y1="{y0}" x2="{px:.1}" y2="{y1}" stroke="#ddd"/><text x="{px:.1}" y="{:.1}" text-anchor="middle">{label}</text>"##,
            y0 + 16.0
        );
    }
    for (y, label) in &axes.y_ticks {
        let py = axes.y(*y);
        let _ = writeln!(
            svg,
            r##"<line x1="{x0}" y1="{py:.1}" x2="{x1}" y2="{py:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"##,
            x0 - 6.0,
            py + 4.0
        );
    }
    let _ = writeln!(
        svg,
        r#"<rect x="{x0}" y="{y1}" width="{:.1}" height="{:.1}" fill="none" stroke="black"/>"#,
        x1 - x0,
        y0 - y1
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        (x0 + x1) / 2.0,
        HEIGHT - 8.0,
        axes.x_label
    );
    let _ = writeln!(
        svg,
        r#"<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        (y0 + y1) / 2.0,
        axes.y_label
    );
    let mut legend = vec![];
    for s in series {
        let points: Vec<String> =
            s.points.iter().map(|&(x, y)| format!("{:.1},{:.1}", axes.x(x), axes.y(y))).collect();
        let _ = writeln!(
            svg,
            r#"<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>"#,
            s.colour,
            points.join(" ")
        );
        if !legend.contains(&(&s.name, s.colour)) {
            legend.push((&s.name, s.colour));
        }
    }
    for (i, (name, colour)) in legend.iter().enumerate() {
        let y = TOP + 10.0 + 18.0 * i as f64;
        let _ = writeln!(
            svg,
            r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="3"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            x1 + 10.0,
            x1 + 30.0,
            x1 + 36.0,
            y + 4.0,
            escape(name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// About five round ticks from 0 to `max`.
fn ticks(max: f64, label: impl Fn(f64) -> String) -> Vec<(f64, String)> {
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.max(1e-9).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude);
    (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|&v| v <= max * 1.0001)
        .map(|v| (v, label(v)))
        .collect()
}

/// Replies a second against seconds since each run's start.
pub(crate) fn throughput(targets: &[TargetRuns]) -> String {
    let mut series = vec![];
    for (i, t) in targets.iter().enumerate() {
        for m in &t.runs {
            series.push(Series {
                name: t.target.to_string(),
                colour: COLOURS[i % COLOURS.len()],
                points: m.run.timeline.clone(),
            });
        }
    }
    let x_max = series.iter().flat_map(|s| &s.points).map(|p| p.0).fold(1.0, f64::max);
    let y_max = series.iter().flat_map(|s| &s.points).map(|p| p.1).fold(1.0, f64::max) * 1.1;
    let axes = Axes {
        title: "Throughput over time (one line per run)".to_owned(),
        x_label: "seconds since the run started",
        y_label: "replies per second",
        x_max,
        y_min: 0.0,
        y_max,
        log_y: false,
        x_ticks: ticks(x_max, |v| format!("{v}")),
        y_ticks: ticks(y_max, |v| format!("{v}")),
    };
    plot(&axes, &series)
}

/// Latency (ms, log scale) against percentile, 0 to 99.999 %.
pub(crate) fn latency(targets: &[TargetRuns]) -> String {
    const NINES: f64 = 5.0;
    let mut series = vec![];
    for (i, t) in targets.iter().enumerate() {
        let histogram = t.latency();
        if histogram.is_empty() {
            continue;
        }
        let points = (0..=100)
            .map(|step| {
                let nines = NINES * f64::from(step) / 100.0;
                let quantile = 1.0 - 10f64.powf(-nines);
                (nines, histogram.value_at_quantile(quantile) as f64 / 1000.0)
            })
            .collect();
        series.push(Series {
            name: t.target.to_string(),
            colour: COLOURS[i % COLOURS.len()],
            points,
        });
    }
    let all = || series.iter().flat_map(|s| &s.points).map(|p| p.1);
    let y_min = 10f64.powf(all().fold(f64::MAX, f64::min).max(0.001).log10().floor());
    let y_max = 10f64.powf(all().fold(0.001, f64::max).log10().ceil());
    let mut y_ticks = vec![];
    let mut decade = y_min;
    while decade <= y_max * 1.0001 {
        y_ticks.push((decade, format!("{decade}")));
        decade *= 10.0;
    }
    let x_ticks = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"]
        .iter()
        .enumerate()
        .map(|(i, l)| (i as f64, (*l).to_owned()))
        .collect();
    let axes = Axes {
        title: "Latency by percentile (all rounds)".to_owned(),
        x_label: "percentile",
        y_label: "latency, ms",
        x_max: NINES,
        y_min,
        y_max,
        log_y: true,
        x_ticks,
        y_ticks,
    };
    plot(&axes, &series)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        let t: Vec<f64> = ticks(10.0, |v| v.to_string()).into_iter().map(|t| t.0).collect();
        assert_eq!(t, vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(45_000.0, |v| v.to_string()).last().unwrap().0, 40_000.0);
    }
}
