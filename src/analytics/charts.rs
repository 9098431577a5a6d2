//! Charts drawn on the server as SVG: no script, no library. Each is an image with a title and
//! a description for screen readers, the exact figures in a data table behind a disclosure
//! beside it, and a `viewBox` that scales to a phone's width.

use maud::{Markup, html};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 104.0;
const RIGHT: f64 = 36.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 36.0;
/// Most x-axis labels written (the others are in the bars' tooltips and the table).
const MAX_LABELS: usize = 8;

/// A bar chart of one value per bucket.
#[derive(Debug)]
pub struct BarChart<'a> {
    /// Unique on the page (ids of the title and description derive from it).
    pub id: &'a str,
    /// The chart's title.
    pub title: &'a str,
    /// What it shows, in a sentence (its description).
    pub description: String,
    /// The buckets' labels.
    pub labels: Vec<&'a str>,
    /// One value per label.
    pub values: &'a [i64],
    /// The header of the values' column in the data table.
    pub value_header: &'a str,
}

/// The chart and its data table.
pub fn bar_chart(chart: &BarChart<'_>, format: impl Fn(i64) -> String) -> Markup {
    let BarChart { labels, values, .. } = chart;
    let scale = Scale::of(values.iter().copied());
    let n = values.len().max(1);
    let slot = PLOT_W / n as f64;
    let bar = (slot * 0.7).max(1.0);
    let svg = html! {
        (scale.grid(&format))
        @for (i, v) in values.iter().enumerate() {
            @let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
            @let (top, bottom) = if *v >= 0 { (scale.y(*v), scale.y(0)) } else { (scale.y(0), scale.y(*v)) };
            rect class=(if *v >= 0 { "chart-bar" } else { "chart-bar chart-bar-negative" })
                x=(fmt(x)) y=(fmt(top)) width=(fmt(bar)) height=(fmt((bottom - top).max(0.0))) {
                title { (labels.get(i).copied().unwrap_or("")) ": " (format(*v)) }
            }
        }
        (x_labels(labels, slot))
    };
    single_series(chart, svg, &format)
}

/// A line through one value per bucket (a running total), each point with its figure.
pub fn line_chart(chart: &BarChart<'_>, format: impl Fn(i64) -> String) -> Markup {
    let BarChart { labels, values, .. } = chart;
    let scale = Scale::of(values.iter().copied());
    let n = values.len().max(1);
    let slot = PLOT_W / n as f64;
    let points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (LEFT + slot * i as f64 + slot / 2.0, scale.y(*v)))
        .collect();
    let path: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{},{}", fmt(*x), fmt(*y)))
        .collect();
    let svg = html! {
        (scale.grid(&format))
        polyline.chart-line points=(path.join(" ")) {}
        @for (i, (x, y)) in points.iter().enumerate() {
            circle.chart-point cx=(fmt(*x)) cy=(fmt(*y)) r="3" {
                title { (labels.get(i).copied().unwrap_or("")) ": " (format(values[i])) }
            }
        }
        (x_labels(labels, slot))
    };
    single_series(chart, svg, &format)
}

/// `chart`'s frame around `svg`, with its one series in the data table.
fn single_series(chart: &BarChart<'_>, svg: Markup, format: &impl Fn(i64) -> String) -> Markup {
    let series = [Series {
        name: chart.value_header,
        values: chart.values.to_vec(),
    }];
    frame(
        chart.id,
        chart.title,
        &chart.description,
        svg,
        data_table(chart.title, &chart.labels, &series, format),
    )
}

/// One series of a stacked chart.
#[derive(Debug, Clone)]
pub struct Series<'a> {
    /// Its name (the legend, the table's column).
    pub name: &'a str,
    /// One value per bucket (none negative).
    pub values: Vec<i64>,
}

/// Bars of several series stacked per bucket, the first at the bottom, with a legend.
pub fn stacked_bar_chart(
    id: &str,
    title: &str,
    description: &str,
    labels: &[&str],
    series: &[Series<'_>],
) -> Markup {
    let totals: Vec<i64> = (0..labels.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0).max(0))
                .sum()
        })
        .collect();
    let scale = Scale::of(totals.iter().copied());
    let n = labels.len().max(1);
    let slot = PLOT_W / n as f64;
    let bar = (slot * 0.7).max(1.0);
    let count = |v: i64| v.to_string();
    // (bucket, x, series, its name, what lies below, value) of every non-empty segment.
    let mut segments = Vec::new();
    for i in 0..labels.len() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let mut below = 0;
        for (k, s) in series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or(0).max(0);
            if v > 0 {
                segments.push((i, x, k, s.name, below, v));
            }
            below += v;
        }
    }
    let svg = html! {
        (scale.grid(&count))
        @for (i, x, k, name, below, v) in &segments {
            @let (top, bottom) = (scale.y(below + v), scale.y(*below));
            rect class=(format!("chart-bar chart-series-{k}"))
                x=(fmt(*x)) y=(fmt(top)) width=(fmt(bar)) height=(fmt((bottom - top).max(0.0))) {
                title { (labels[*i]) ", " (name) ": " (v) }
            }
        }
        (x_labels(labels, slot))
    };
    // The legend names the fills (the data table names them too).
    let beneath = html! {
        ul.chart-legend aria-hidden="true" {
            @for (k, s) in series.iter().enumerate() {
                li { span class=(format!("chart-swatch chart-series-{k}")) {} (s.name) }
            }
        }
        (data_table(title, labels, series, &count))
    };
    frame(id, title, description, svg, beneath)
}

/// A funnel: one horizontal bar per stage, each as long as its count, with its count and its
/// share of the first stage written beside it.
pub fn funnel_chart(id: &str, title: &str, description: &str, stages: &[(&str, i64)]) -> Markup {
    let first = stages.first().map_or(0, |s| s.1).max(1);
    let row = PLOT_H / stages.len().max(1) as f64;
    let bar_h = (row * 0.7).max(1.0);
    let width = PLOT_W - 90.0;
    let share = |v: i64| {
        format!(
            "{v} ({}%)",
            super::services::percent_of(v, first).unwrap_or(0)
        )
    };
    let svg = html! {
        @for (i, (name, v)) in stages.iter().enumerate() {
            @let y = TOP + row * i as f64 + (row - bar_h) / 2.0;
            @let w = (*v).max(0) as f64 / first as f64 * width;
            @let x = LEFT + (width - w) / 2.0;
            text.chart-axis x=(fmt(LEFT - 6.0)) y=(fmt(y + bar_h / 2.0 + 4.0)) text-anchor="end" { (name) }
            rect.chart-bar x=(fmt(x)) y=(fmt(y)) width=(fmt(w.max(1.0))) height=(fmt(bar_h)) {
                title { (name) ": " (share(*v)) }
            }
            text.chart-axis x=(fmt(LEFT + width + 8.0)) y=(fmt(y + bar_h / 2.0 + 4.0)) { (share(*v)) }
        }
    };
    let labels: Vec<&str> = stages.iter().map(|s| s.0).collect();
    let series = [Series {
        name: "Requests",
        values: stages.iter().map(|s| s.1).collect(),
    }];
    frame(
        id,
        title,
        description,
        svg,
        data_table_headed(title, "Stage", &labels, &series, &share),
    )
}

const PLOT_W: f64 = WIDTH - LEFT - RIGHT;
const PLOT_H: f64 = HEIGHT - TOP - BOTTOM;

/// The vertical scale of a chart: its top and bottom values.
struct Scale {
    min: i64,
    max: i64,
}

impl Scale {
    fn of(values: impl Iterator<Item = i64> + Clone) -> Self {
        Self {
            max: values.clone().max().unwrap_or(0).max(0),
            min: values.min().unwrap_or(0).min(0),
        }
    }

    fn y(&self, v: i64) -> f64 {
        let span = (self.max - self.min).max(1) as f64;
        TOP + (self.max - v) as f64 / span * PLOT_H
    }

    /// Gridlines at the top, zero and the bottom, labelled.
    fn grid(&self, format: &impl Fn(i64) -> String) -> Markup {
        html! {
            @for v in gridlines(self.min, self.max) {
                line.chart-grid x1=(LEFT) x2=(WIDTH - RIGHT) y1=(fmt(self.y(v))) y2=(fmt(self.y(v))) {}
                text.chart-axis x=(LEFT - 6.0) y=(fmt(self.y(v) + 4.0)) text-anchor="end" { (format(v)) }
            }
        }
    }
}

/// The buckets' labels under the x axis: at most [`MAX_LABELS`] of them (the others are in
/// the tooltips and the table).
fn x_labels(labels: &[&str], slot: f64) -> Markup {
    let every = labels.len().div_ceil(MAX_LABELS).max(1);
    html! {
        @for (i, label) in labels.iter().enumerate() {
            @if i % every == 0 {
                text.chart-axis x=(fmt(LEFT + slot * i as f64 + slot / 2.0)) y=(fmt(HEIGHT - BOTTOM + 16.0)) text-anchor="middle" {
                    (label)
                }
            }
        }
    }
}

/// A chart: its caption, the SVG (an image with a title and a description, in a region
/// that scrolls sideways on a phone), and its data table behind a disclosure.
fn frame(id: &str, title: &str, description: &str, svg: Markup, table: Markup) -> Markup {
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    html! {
        figure.chart #(id) {
            figcaption.chart-title { (title) }
            div.chart-scroll role="region" aria-label=(format!("{title}, chart")) tabindex="0" {
                svg viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
                    aria-labelledby=(format!("{title_id} {desc_id}")) preserveAspectRatio="xMidYMid meet" {
                    title #(title_id) { (title) }
                    desc #(desc_id) { (description) }
                    (svg)
                }
            }
            (table)
        }
    }
}

/// The exact figures: a row per bucket, a column per series.
fn data_table(
    title: &str,
    labels: &[&str],
    series: &[Series<'_>],
    format: &impl Fn(i64) -> String,
) -> Markup {
    data_table_headed(title, "Period", labels, series, format)
}

fn data_table_headed(
    title: &str,
    first: &str,
    labels: &[&str],
    series: &[Series<'_>],
    format: &impl Fn(i64) -> String,
) -> Markup {
    html! {
        details.chart-data {
            summary { "Data: " (title) }
            div.table-wrap role="region" aria-label=(title) tabindex="0" {
                table.data-table {
                    thead { tr {
                        th scope="col" { (first) }
                        @for s in series { th scope="col" { (s.name) } }
                    } }
                    tbody {
                        @for (i, label) in labels.iter().enumerate() {
                            tr {
                                td { (label) }
                                @for s in series { td.num { (format(s.values.get(i).copied().unwrap_or(0))) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The values the gridlines mark: the top, zero and the bottom (when below zero).
fn gridlines(min: i64, max: i64) -> Vec<i64> {
    let mut out = vec![0];
    if max > 0 {
        out.push(max);
    }
    if min < 0 {
        out.push(min);
    }
    out
}

/// A coordinate with one decimal.
fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bucket_is_a_bar_with_its_figure_and_a_row_of_the_table() {
        let values = [0, 1_500, 0, -200];
        let chart = BarChart {
            id: "net",
            title: "Net revenue",
            description: "Money kept per day.".to_owned(),
            labels: vec!["1 Mar", "2 Mar", "3 Mar", "4 Mar"],
            values: &values,
            value_header: "Net",
        };
        let svg = bar_chart(&chart, |v| v.to_string()).into_string();
        assert_eq!(
            svg.matches("<rect").count(),
            4,
            "empty days are bars of zero"
        );
        assert!(svg.contains("aria-labelledby=\"net-title net-desc\""));
        assert!(svg.contains("<title>2 Mar: 1500</title>"));
        assert!(svg.contains("chart-bar-negative"));
        assert_eq!(
            svg.matches("<tr>").count(),
            5,
            "a header and a row per bucket"
        );
    }
}
