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
    let BarChart {
        id,
        title,
        labels,
        values,
        ..
    } = chart;
    let max = values.iter().copied().max().unwrap_or(0).max(0);
    let min = values.iter().copied().min().unwrap_or(0).min(0);
    let span = (max - min).max(1) as f64;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let plot_w = WIDTH - LEFT - RIGHT;
    let y = |v: i64| TOP + (max - v) as f64 / span * plot_h;
    let n = values.len().max(1);
    let slot = plot_w / n as f64;
    let bar = (slot * 0.7).max(1.0);
    let every = n.div_ceil(MAX_LABELS).max(1);
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    html! {
        figure.chart #(id) {
            figcaption.chart-title { (title) }
            // On a phone the chart keeps a readable size and scrolls sideways.
            div.chart-scroll role="region" aria-label=(format!("{title}, chart")) tabindex="0" {
                svg viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
                    aria-labelledby=(format!("{title_id} {desc_id}")) preserveAspectRatio="xMidYMid meet" {
                    title #(title_id) { (title) }
                    desc #(desc_id) { (chart.description) }
                    // Gridlines at the top, zero and the bottom, labelled.
                    @for v in gridlines(min, max) {
                        line.chart-grid x1=(LEFT) x2=(WIDTH - RIGHT) y1=(fmt(y(v))) y2=(fmt(y(v))) {}
                        text.chart-axis x=(LEFT - 6.0) y=(fmt(y(v) + 4.0)) text-anchor="end" { (format(v)) }
                    }
                    @for (i, v) in values.iter().enumerate() {
                        @let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                        @let (top, bottom) = if *v >= 0 { (y(*v), y(0)) } else { (y(0), y(*v)) };
                        rect class=(if *v >= 0 { "chart-bar" } else { "chart-bar chart-bar-negative" })
                            x=(fmt(x)) y=(fmt(top)) width=(fmt(bar)) height=(fmt((bottom - top).max(0.0))) {
                            title { (labels.get(i).copied().unwrap_or("")) ": " (format(*v)) }
                        }
                        @if i % every == 0 {
                            text.chart-axis x=(fmt(x + bar / 2.0)) y=(fmt(HEIGHT - BOTTOM + 16.0)) text-anchor="middle" {
                                (labels.get(i).copied().unwrap_or(""))
                            }
                        }
                    }
                }
            }
            details.chart-data {
                summary { "Data: " (title) }
                div.table-wrap role="region" aria-label=(title) tabindex="0" {
                    table.data-table {
                        thead { tr { th scope="col" { "Period" } th scope="col" { (chart.value_header) } } }
                        tbody {
                            @for (i, v) in values.iter().enumerate() {
                                tr { td { (labels.get(i).copied().unwrap_or("")) } td.num { (format(*v)) } }
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
