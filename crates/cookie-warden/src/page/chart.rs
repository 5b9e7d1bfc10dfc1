//! Stacked bar charts as inline SVG.
//!
//! Written by hand rather than with plotters' SVG backend (which the workspace has through
//! criterion): plotters draws into a fixed pixel size and measures text with its own naive font
//! metrics (no system font is read without its `ttf` feature), while a page that must read on a
//! phone wants a `viewBox` that scales, text in the page's own font, colours from the page's
//! stylesheet (the same classes as the legend and tables), and an accessible name (`role="img"`,
//! `<title>`, a `<title>` per bar segment that browsers show on hover). A stacked bar chart is a
//! few rectangles and two axes; the markup goes through maud, so every label is escaped.

use maud::{Markup, html};

/// How large a chart is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Size {
    /// The page's main chart: axes, grid lines and time labels.
    Full,
    /// A small chart beside a table (per cookie): no grid, first and last label only.
    Small,
}

/// One bar: its label (a time) and one count per series.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) counts: Vec<u64>,
}

/// A stacked bar chart. `series` are CSS classes (and the names shown in the legend and tooltips),
/// bottom first; `title` is the chart's accessible name.
pub(crate) fn stacked_bars(title: &str, series: &[&str], bars: &[Bar], size: Size) -> Markup {
    let (width, height, left, bottom, top, right) = match size {
        Size::Full => (720.0, 260.0, 52.0, 36.0, 10.0, 10.0),
        Size::Small => (360.0, 84.0, 36.0, 18.0, 6.0, 4.0),
    };
    let plot_w: f64 = width - left - right;
    let plot_h: f64 = height - top - bottom;
    let max = bars
        .iter()
        .map(|b| b.counts.iter().sum::<u64>())
        .max()
        .unwrap_or(0);
    let (step, ticks) = nice_ticks(max, if size == Size::Full { 4 } else { 1 });
    let top_value = (step * ticks).max(1) as f64;
    let slot = plot_w / bars.len().max(1) as f64;
    let bar_w = (slot * 0.8).max(0.5);
    let y_of = |v: u64| top + plot_h - (v as f64 / top_value) * plot_h;
    let label_every = bars.len().div_ceil(5).max(1);
    let mut segments = Vec::new();
    let mut labels = Vec::new();
    for (i, bar) in bars.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let mut base = 0_u64;
        for (class, count) in series.iter().zip(&bar.counts) {
            if *count > 0 {
                let (y0, y1) = (y_of(base), y_of(base + count));
                segments.push(Segment {
                    x,
                    y: y1,
                    height: (y0 - y1).max(0.5),
                    class,
                    count: *count,
                    label: &bar.label,
                });
            }
            base += count;
        }
        let last = i + 1 == bars.len();
        match size {
            Size::Full if i % label_every == 0 => labels.push((x + bar_w / 2.0, "middle", &bar.label)),
            Size::Small if i == 0 => labels.push((x, "start", &bar.label)),
            Size::Small if last => labels.push((x + bar_w, "end", &bar.label)),
            _ => {}
        }
    }
    html! {
        svg class=(if size == Size::Small { "chart small" } else { "chart" }) role="img" viewBox=(format!("0 0 {width} {height}")) xmlns="http://www.w3.org/2000/svg" {
            title { (title) }
            @for i in 0..=ticks {
                @let value = step * i;
                @let y = y_of(value);
                @if size == Size::Full && i > 0 {
                    line.grid x1=(fmt(left)) x2=(fmt(width - right)) y1=(fmt(y)) y2=(fmt(y)) {}
                }
                text x=(fmt(left - 6.0)) y=(fmt(y + 4.0)) text-anchor="end" { (super::number(value)) }
            }
            @for segment in &segments {
                rect class=(segment.class) x=(fmt(segment.x)) y=(fmt(segment.y)) width=(fmt(bar_w)) height=(fmt(segment.height)) {
                    title { (segment.label) ": " (super::number(segment.count)) " " (segment.class) }
                }
            }
            @for (x, anchor, label) in &labels {
                text x=(fmt(*x)) y=(fmt(height - bottom + 14.0)) text-anchor=(anchor) { (label) }
            }
            line.axis x1=(fmt(left)) x2=(fmt(width - right)) y1=(fmt(top + plot_h)) y2=(fmt(top + plot_h)) {}
            line.axis x1=(fmt(left)) x2=(fmt(left)) y1=(fmt(top)) y2=(fmt(top + plot_h)) {}
        }
    }
}

/// One coloured rectangle of a bar.
struct Segment<'a> {
    x: f64,
    y: f64,
    height: f64,
    class: &'a str,
    count: u64,
    label: &'a str,
}

/// A tick step of 1, 2 or 5 × 10ⁿ and how many ticks of it cover `max` in about `wanted` steps.
fn nice_ticks(max: u64, wanted: u64) -> (u64, u64) {
    if max == 0 {
        return (1, 1);
    }
    let raw = max.div_ceil(wanted.max(1));
    let mut magnitude = 1_u64;
    while magnitude.saturating_mul(10) <= raw {
        magnitude *= 10;
    }
    let step = [1, 2, 5, 10]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10 * magnitude);
    (step, max.div_ceil(step))
}

/// A coordinate with one decimal, without a trailing `.0`.
fn fmt(v: f64) -> String {
    let rounded = (v * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(nice_ticks(0, 4), (1, 1));
        assert_eq!(nice_ticks(7, 4), (2, 4));
        assert_eq!(nice_ticks(100, 4), (50, 2));
        assert_eq!(nice_ticks(1_234, 4), (500, 3));
        assert_eq!(nice_ticks(9, 1), (10, 1));
    }

    #[test]
    fn segments_stack_and_labels_are_escaped() {
        let bars = [
            Bar {
                label: "<b>".to_owned(),
                counts: vec![2, 0, 1],
            },
            Bar {
                label: "x".to_owned(),
                counts: vec![0, 3, 0],
            },
        ];
        let svg = stacked_bars("t & u", &["fixed", "stripped", "blocked"], &bars, Size::Full).into_string();
        assert_eq!(svg.matches("<rect").count(), 3, "{svg}");
        assert!(svg.contains("<title>t &amp; u</title>"), "{svg}");
        assert!(
            svg.contains("&lt;b&gt;: 2 fixed") && !svg.contains("<b>"),
            "{svg}"
        );
    }
}
