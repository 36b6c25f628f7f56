//! Charts as inline SVG: data in, a string out, no I/O and no JavaScript. Each chart has a
//! `<title>` and a `<desc>` (its accessible name and description); the page puts the data
//! in a table beside it. Text is escaped here, so the string may be inserted as it is.
//!
//! The drawing is 400 units wide and scales to its container: on a 360 px phone the text
//! stays near 11 px, and the page caps the width on a desktop.

use std::fmt::Write as _;

/// One colour per series. Each has a contrast of at least 4.5:1 on white (WCAG AA for
/// text, above the 3:1 asked of graphics), so lines, markers and legend labels all read.
pub const PALETTE: [&str; 8] = [
    "#0b4f8a", "#a11d1d", "#1d6b36", "#8a4b00", "#6a1b9a", "#00626f", "#ad1457", "#3d4852",
];

/// The bars of a block: planned, scheduled, done (same contrast rule as [`PALETTE`]).
pub const BAR_COLOURS: [&str; 3] = ["#3d4852", "#0b4f8a", "#1d6b36"];

/// How bar `k` is painted: the first (planned) is an outline, so that it differs from the
/// others by its shape too; the rest are filled.
fn bar_paint(k: usize) -> String {
    let colour = BAR_COLOURS[k % BAR_COLOURS.len()];
    if k.is_multiple_of(BAR_COLOURS.len()) {
        format!(r##"fill="#ffffff" stroke="{colour}" stroke-width="2""##)
    } else {
        format!(r#"fill="{colour}""#)
    }
}

const WIDTH: f64 = 400.0;
const FONT: f64 = 12.0;

/// The colour of series `i` (they repeat after eight; the marker shapes then differ).
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Text and attribute values for XML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// An id usable in `id` and `aria-labelledby`: letters, digits and dashes only.
fn safe_id(id: &str) -> String {
    let s: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if s.is_empty() { "chart".to_owned() } else { s }
}

/// A linear map from a domain onto a range (the range may run backwards, as y does).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Scale {
    pub fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Scale {
        Scale { d0, d1, r0, r1 }
    }

    /// Where `v` falls; the middle of the range when the domain is a single point.
    pub fn map(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        if span.abs() < f64::EPSILON || !v.is_finite() {
            return (self.r0 + self.r1) / 2.0;
        }
        self.r0 + (v - self.d0) / span * (self.r1 - self.r0)
    }
}

/// A percentage as people read it: « 92,5 % » (no-break space), or « 92.5 % ».
pub fn percent(rate: f64, decimal_comma: bool) -> String {
    let s = format!("{:.1}\u{a0}%", rate * 100.0);
    if decimal_comma {
        s.replace('.', ",")
    } else {
        s
    }
}

/// The bottom of the rate axis: 80 % or lower, to the tenth below the lowest rate.
pub fn rate_floor(lowest: Option<f64>) -> f64 {
    let m = lowest.unwrap_or(1.0).clamp(0.0, 0.8);
    ((m * 10.0 + 1e-9).floor() / 10.0).clamp(0.0, 0.8)
}

/// The grid lines of a rate axis from `lo` to 1: every 5, 10 or 20 points.
pub fn rate_ticks(lo: f64) -> Vec<f64> {
    let span = 1.0 - lo;
    let step = if span <= 0.2 + 1e-9 {
        0.05
    } else if span <= 0.5 + 1e-9 {
        0.1
    } else {
        0.2
    };
    let n = (span / step).round() as usize;
    (0..=n).map(|k| 1.0 - step * k as f64).rev().collect()
}

/// One point of the x axis: a short label under the axis, a long one for the tooltips.
#[derive(Debug, Clone)]
pub struct XTick {
    pub short: String,
    pub long: String,
}

/// A line: one value (0 to 1) or a gap per x point.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

pub struct RateChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub x: &'a [XTick],
    pub series: &'a [Series],
    /// A rate to reach (90 %), drawn dashed.
    pub target: Option<f64>,
    pub decimal_comma: bool,
}

/// The plot area of the rate chart.
pub struct RateFrame {
    pub x: Scale,
    pub y: Scale,
    pub ticks: Vec<f64>,
    pub height: f64,
}

const LEFT: f64 = 46.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 12.0;
const PLOT_H: f64 = 170.0;
const AXIS_H: f64 = 30.0;
const LEGEND_ROW: f64 = 20.0;

/// The scales of a rate chart: x over the points, y from [`rate_floor`] to 100 %.
pub fn rate_frame(points: usize, series: &[Series], target: Option<f64>) -> RateFrame {
    let lowest = series
        .iter()
        .flat_map(|s| s.values.iter().flatten().copied())
        .chain(target)
        .filter(|v| v.is_finite())
        .reduce(f64::min);
    let lo = rate_floor(lowest);
    let last = points.saturating_sub(1) as f64;
    RateFrame {
        x: Scale::new(0.0, last, LEFT + 10.0, WIDTH - RIGHT - 10.0),
        y: Scale::new(lo, 1.0, TOP + PLOT_H, TOP),
        ticks: rate_ticks(lo),
        height: TOP + PLOT_H + AXIS_H + LEGEND_ROW * series.len() as f64 + 6.0,
    }
}

/// A marker shape, one per series in turn, so that colour is not the only difference.
fn marker(out: &mut String, shape: usize, x: f64, y: f64, title: Option<&str>) {
    let t = title.map_or(String::new(), |t| format!("<title>{}</title>", escape(t)));
    let close = |tag: &str| {
        if t.is_empty() {
            "/>".to_owned()
        } else {
            format!(">{t}</{tag}>")
        }
    };
    let _ = match shape % 4 {
        0 => write!(
            out,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="4"{}"#,
            close("circle")
        ),
        1 => write!(
            out,
            r#"<rect x="{:.1}" y="{:.1}" width="7" height="7"{}"#,
            x - 3.5,
            y - 3.5,
            close("rect")
        ),
        2 => write!(
            out,
            r#"<path d="M{x:.1} {:.1}L{:.1} {:.1}L{:.1} {:.1}Z"{}"#,
            y - 5.0,
            x + 4.5,
            y + 3.5,
            x - 4.5,
            y + 3.5,
            close("path")
        ),
        _ => write!(
            out,
            r#"<path d="M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z"{}"#,
            y - 5.0,
            x + 5.0,
            y + 5.0,
            x - 5.0,
            close("path")
        ),
    };
}

fn open_svg(out: &mut String, id: &str, height: f64, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height:.0}" role="img" aria-labelledby="{id}-title {id}-desc" font-size="{FONT}" font-family="system-ui, sans-serif"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(desc)
    );
}

/// The path of a line with gaps: a new `M` after each missing value.
pub fn line_path(values: &[Option<f64>], x: &Scale, y: &Scale) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) if v.is_finite() => {
                let _ = write!(
                    d,
                    "{}{:.1} {:.1}",
                    if pen_down { "L" } else { "M" },
                    x.map(i as f64),
                    y.map(*v)
                );
                pen_down = true;
            }
            _ => pen_down = false,
        }
    }
    d
}

/// Weekly attendance rates, one line per group, with the target dashed and a legend.
pub fn rate_chart(c: &RateChart) -> String {
    let id = safe_id(c.id);
    let f = rate_frame(c.x.len(), c.series, c.target);
    let mut out = String::new();
    open_svg(&mut out, &id, f.height, c.title, c.desc);
    // Grid and y labels.
    out.push_str(r##"<g stroke="#c8ced6" stroke-width="1">"##);
    for t in &f.ticks {
        let y = f.y.map(*t);
        let _ = write!(
            out,
            r#"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/>"#,
            WIDTH - RIGHT
        );
    }
    out.push_str("</g>");
    out.push_str(r##"<g fill="#4a5560" text-anchor="end">"##);
    for t in &f.ticks {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            LEFT - 4.0,
            f.y.map(*t) + 4.0,
            escape(&format!("{:.0}\u{a0}%", t * 100.0))
        );
    }
    out.push_str("</g>");
    if let Some(target) = c.target {
        let y = f.y.map(target);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#1b1f24" stroke-width="1.5" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" fill="#1b1f24" text-anchor="end" font-size="11">{}</text>"##,
            WIDTH - RIGHT,
            WIDTH - RIGHT,
            y - 4.0,
            escape(&format!("{:.0}\u{a0}%", target * 100.0))
        );
    }
    // X labels: at most seven, evenly spaced, the last one always.
    let n = c.x.len();
    let every = n.div_ceil(7).max(1);
    out.push_str(r##"<g fill="#4a5560" text-anchor="middle">"##);
    // The last week too, unless it would touch the label before it.
    let labelled =
        |i: usize| i.is_multiple_of(every) || (i + 1 == n && i % every >= every.div_ceil(2));
    for (i, tick) in c.x.iter().enumerate() {
        if labelled(i) {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
                f.x.map(i as f64),
                TOP + PLOT_H + 18.0,
                escape(&tick.short)
            );
        }
    }
    out.push_str("</g>");
    // The lines, their markers (each with its figure as a tooltip), the legend.
    for (k, s) in c.series.iter().enumerate() {
        let col = colour(k);
        let _ = write!(
            out,
            r#"<g fill="{col}" stroke="{col}"><path d="{}" fill="none" stroke-width="2.5" stroke-linejoin="round"/>"#,
            line_path(&s.values, &f.x, &f.y)
        );
        out.push_str(r#"<g stroke="none">"#);
        for (i, v) in s.values.iter().enumerate() {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                let when = c.x.get(i).map_or("", |t| t.long.as_str());
                let title = format!("{} — {when} — {}", s.name, percent(v, c.decimal_comma));
                marker(&mut out, k, f.x.map(i as f64), f.y.map(v), Some(&title));
            }
        }
        out.push_str("</g></g>");
        let y = TOP + PLOT_H + AXIS_H + LEGEND_ROW * k as f64 + 4.0;
        let _ = write!(
            out,
            r#"<g fill="{col}" stroke="{col}"><line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke-width="2.5"/>"#,
            LEFT + 24.0
        );
        marker(&mut out, k, LEFT + 12.0, y, None);
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" fill="#1b1f24" stroke="none">{}</text></g>"##,
            LEFT + 32.0,
            y + 4.0,
            escape(&s.name)
        );
    }
    out.push_str("</svg>");
    out
}

/// A block of bars: a label above, one bar per value with its text at the end.
#[derive(Debug, Clone)]
pub struct BarBlock {
    pub label: String,
    pub values: Vec<f64>,
    pub texts: Vec<String>,
}

pub struct BarChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    /// What each bar of a block is (the legend), in [`BAR_COLOURS`] order.
    pub bar_names: &'a [String],
    pub blocks: &'a [BarBlock],
}

const BAR_H: f64 = 14.0;
const BAR_GAP: f64 = 4.0;
const BLOCK_LABEL: f64 = 18.0;
const BLOCK_GAP: f64 = 12.0;
const BAR_LEFT: f64 = 8.0;
/// Room right of the longest bar for its text.
const BAR_TEXT: f64 = 92.0;

/// The x scale of a bar chart: 0 to the largest value (at least 1).
pub fn bar_scale(blocks: &[BarBlock]) -> Scale {
    let max = blocks
        .iter()
        .flat_map(|b| b.values.iter().copied())
        .filter(|v| v.is_finite())
        .fold(1.0_f64, f64::max);
    Scale::new(0.0, max, BAR_LEFT, WIDTH - BAR_TEXT)
}

/// Horizontal bars, stacked down the page: they keep their length on a narrow screen.
pub fn bar_chart(c: &BarChart) -> String {
    let id = safe_id(c.id);
    let x = bar_scale(c.blocks);
    let legend_h = LEGEND_ROW * c.bar_names.len() as f64 + 6.0;
    let block_h = |b: &BarBlock| BLOCK_LABEL + (BAR_H + BAR_GAP) * b.values.len() as f64;
    let height = legend_h + c.blocks.iter().map(|b| block_h(b) + BLOCK_GAP).sum::<f64>();
    let mut out = String::new();
    open_svg(&mut out, &id, height.max(20.0), c.title, c.desc);
    for (k, name) in c.bar_names.iter().enumerate() {
        let y = LEGEND_ROW * k as f64 + 4.0;
        let _ = write!(
            out,
            r##"<rect x="{:.1}" y="{:.1}" width="12" height="10" {}/><text x="{:.1}" y="{:.1}" fill="#1b1f24">{}</text>"##,
            BAR_LEFT + 1.0,
            y + 1.0,
            bar_paint(k),
            BAR_LEFT + 20.0,
            y + 10.0,
            escape(name)
        );
    }
    let mut top = legend_h;
    for b in c.blocks {
        let _ = write!(
            out,
            r##"<text x="{BAR_LEFT}" y="{:.1}" fill="#1b1f24" font-weight="600">{}</text>"##,
            top + 13.0,
            escape(&b.label)
        );
        for (k, v) in b.values.iter().enumerate() {
            let y = top + BLOCK_LABEL + (BAR_H + BAR_GAP) * k as f64;
            let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
            let mut w = x.map(v) - BAR_LEFT;
            let paint = if v > 0.0 {
                w = w.max(1.0);
                bar_paint(k)
            } else {
                r#"fill="none""#.to_owned()
            };
            let text = b.texts.get(k).map_or("", String::as_str);
            let name = c.bar_names.get(k).map_or("", String::as_str);
            let _ = write!(
                out,
                r##"<rect x="{BAR_LEFT}" y="{y:.1}" width="{w:.1}" height="{BAR_H}" {paint}><title>{} — {} — {}</title></rect><text x="{:.1}" y="{:.1}" fill="#1b1f24">{}</text>"##,
                escape(&b.label),
                escape(name),
                escape(text),
                BAR_LEFT + w + 4.0,
                y + 11.0,
                escape(text)
            );
        }
        top += block_h(b) + BLOCK_GAP;
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticks(labels: &[&str]) -> Vec<XTick> {
        labels
            .iter()
            .map(|l| XTick {
                short: (*l).to_owned(),
                long: format!("semaine {l}"),
            })
            .collect()
    }

    /// WCAG relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    #[test]
    fn every_colour_passes_aa_contrast_on_white() {
        for c in PALETTE.iter().chain(BAR_COLOURS.iter()) {
            let ratio = 1.05 / (luminance(c) + 0.05);
            assert!(ratio >= 4.5, "{c}: {ratio:.2}");
        }
        // The test itself: black on white is 21:1, a light grey fails.
        assert!((1.05 / (luminance("#000000") + 0.05) - 21.0).abs() < 1e-9);
        assert!(1.05 / (luminance("#999999") + 0.05) < 4.5);
        assert_eq!(colour(0), colour(PALETTE.len()));
    }

    #[test]
    fn scales_map_ends_middle_and_backwards_ranges() {
        let y = Scale::new(0.8, 1.0, 182.0, 12.0);
        assert_eq!(y.map(0.8), 182.0);
        assert_eq!(y.map(1.0), 12.0);
        assert!((y.map(0.9) - 97.0).abs() < 1e-9);
        // One point: the middle, never a division by zero.
        assert_eq!(Scale::new(0.0, 0.0, 10.0, 20.0).map(0.0), 15.0);
        assert_eq!(Scale::new(0.0, 1.0, 10.0, 20.0).map(f64::NAN), 15.0);
    }

    #[test]
    fn the_rate_axis_starts_at_80_percent_or_below_the_lowest_rate() {
        assert_eq!(rate_floor(None), 0.8);
        assert_eq!(rate_floor(Some(0.95)), 0.8);
        assert_eq!(rate_floor(Some(0.8)), 0.8);
        assert_eq!(rate_floor(Some(0.79)), 0.7);
        assert_eq!(rate_floor(Some(0.7)), 0.7);
        assert_eq!(rate_floor(Some(0.0)), 0.0);
        assert_eq!(rate_floor(Some(-3.0)), 0.0);
        let t = rate_ticks(0.8);
        assert_eq!(t.len(), 5);
        assert!((t[0] - 0.8).abs() < 1e-9 && (t[4] - 1.0).abs() < 1e-9);
        assert_eq!(rate_ticks(0.6).len(), 5);
        assert_eq!(rate_ticks(0.0).len(), 6);
    }

    #[test]
    fn points_sit_on_their_week_and_rate_and_gaps_break_the_line() {
        let series = vec![Series {
            name: "2IA".to_owned(),
            values: vec![Some(1.0), None, Some(0.9), Some(0.8)],
        }];
        let f = rate_frame(4, &series, Some(0.9));
        // First week on the left edge of the plot, last on the right; 100 % at the top.
        assert_eq!(f.x.map(0.0), LEFT + 10.0);
        assert_eq!(f.x.map(3.0), WIDTH - RIGHT - 10.0);
        assert_eq!(f.y.map(1.0), TOP);
        assert_eq!(f.y.map(0.8), TOP + PLOT_H);
        let d = line_path(&series[0].values, &f.x, &f.y);
        assert_eq!(d, "M56.0 12.0M269.3 97.0L376.0 182.0");
        assert_eq!(d.matches('M').count(), 2, "the gap starts a new line");
        let svg = rate_chart(&RateChart {
            id: "rates",
            title: "Taux",
            desc: "Par semaine",
            x: &ticks(&["S36", "S37", "S38", "S39"]),
            series: &series,
            target: Some(0.9),
            decimal_comma: true,
        });
        assert!(
            svg.contains(r#"d="M56.0 12.0M269.3 97.0L376.0 182.0""#),
            "{svg}"
        );
        // Three markers (none for the gap), each with its figure.
        assert_eq!(svg.matches("<title>2IA — semaine").count(), 3, "{svg}");
        assert!(svg.contains("<title>2IA — semaine S38 — 90,0\u{a0}%</title>"));
        assert!(svg.contains(r#"stroke-dasharray="6 4""#), "the 90 % line");
        assert!(svg.contains(">90\u{a0}%</text>"), "and its label");
        assert!(svg.contains(">S36</text>") && svg.contains(">S39</text>"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn charts_are_named_described_and_escape_their_text() {
        let series = vec![
            Series {
                name: "<b>R&D \"A\"</b>".to_owned(),
                values: vec![Some(0.5)],
            },
            Series {
                name: "L'autre".to_owned(),
                values: vec![None],
            },
        ];
        let svg = rate_chart(&RateChart {
            id: "r\"><script>",
            title: "Taux <d'assiduité>",
            desc: "A & B",
            x: &ticks(&["<S1>"]),
            series: &series,
            target: None,
            decimal_comma: false,
        });
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img" aria-labelledby="rscript-title rscript-desc""#));
        assert!(svg.contains(r#"<title id="rscript-title">Taux &lt;d&#39;assiduité&gt;</title>"#));
        assert!(svg.contains(r#"<desc id="rscript-desc">A &amp; B</desc>"#));
        assert!(
            svg.contains("&lt;b&gt;R&amp;D &quot;A&quot;&lt;/b&gt;"),
            "{svg}"
        );
        assert!(svg.contains("L&#39;autre"));
        assert!(svg.contains("&lt;S1&gt;"));
        assert!(!svg.contains("<b>") && !svg.contains("<script"));
        // A single week sits in the middle; its rate in English is 50.0 %.
        assert!(svg.contains(r#"cx="216.0""#), "{svg}");
        assert!(svg.contains("50.0\u{a0}%"));
        // Two legend rows make the drawing taller.
        assert!(svg.contains(r#"viewBox="0 0 400 258""#), "{svg}");
    }

    #[test]
    fn bars_are_as_long_as_their_value() {
        let blocks = vec![
            BarBlock {
                label: "2IA — S9".to_owned(),
                values: vec![100.0, 50.0, 0.0],
                texts: vec!["100 h".into(), "50 h".into(), "0 h".into()],
            },
            BarBlock {
                label: "<GC>".to_owned(),
                values: vec![25.0, f64::NAN, -3.0],
                texts: vec!["25 h".into()],
            },
        ];
        let x = bar_scale(&blocks);
        assert_eq!(x.map(0.0), BAR_LEFT);
        assert_eq!(x.map(100.0), WIDTH - BAR_TEXT);
        let names = ["Prévues".to_owned(), "Programmées".into(), "Faites".into()];
        let svg = bar_chart(&BarChart {
            id: "hours",
            title: "Heures",
            desc: "Prévues, programmées, faites",
            bar_names: &names,
            blocks: &blocks,
        });
        let full = WIDTH - BAR_TEXT - BAR_LEFT;
        assert!(svg.contains(&format!(r#"width="{full:.1}""#)), "{svg}");
        assert!(svg.contains(&format!(r#"width="{:.1}""#, full / 2.0)));
        assert!(svg.contains(&format!(r#"width="{:.1}""#, full / 4.0)));
        assert!(
            svg.contains(r#"width="0.0""#),
            "zero, NaN and negative draw nothing"
        );
        assert!(svg.contains("<title>2IA — S9 — Programmées — 50 h</title>"));
        assert!(svg.contains("&lt;GC&gt;") && !svg.contains("<GC>"));
        assert!(svg.contains(r#"<title id="hours-title">Heures</title>"#));
        assert!(!svg.contains("NaN"));
        // Nothing to draw: still a valid, finite drawing.
        let empty = bar_chart(&BarChart {
            id: "e",
            title: "t",
            desc: "d",
            bar_names: &[],
            blocks: &[],
        });
        assert!(empty.contains(r#"viewBox="0 0 400 20""#), "{empty}");
    }
}
