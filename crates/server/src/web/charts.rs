//! Charts drawn on the server as SVG: horizontal bars and month-by-month
//! lines. These compute only positions; the templates draw them and escape
//! every label.

/// Width of the longest bar, in SVG units.
const BAR_MAX: usize = 180;
const BAR_STEP: usize = 28;

pub struct Bar {
    pub label: String,
    pub y: usize,
    pub width: usize,
    pub count: usize,
}

pub struct BarChart {
    pub height: usize,
    pub bars: Vec<Bar>,
    /// What the counts are out of (`0` when they are plain counts).
    pub of: usize,
}

/// One bar per item; lengths relative to `of`, or to the largest count when `of` is 0.
pub fn bars(items: &[(String, usize)], of: usize) -> BarChart {
    let scale = if of > 0 {
        of
    } else {
        items.iter().map(|(_, n)| *n).max().unwrap_or(0)
    };
    BarChart {
        height: 8 + items.len() * BAR_STEP,
        bars: items
            .iter()
            .enumerate()
            .map(|(i, (label, count))| Bar {
                label: label.clone(),
                y: 8 + i * BAR_STEP,
                width: (count * BAR_MAX).checked_div(scale).unwrap_or(0),
                count: *count,
            })
            .collect(),
        of,
    }
}

pub struct Series {
    pub name: String,
    /// `x,y x,y …` for a polyline.
    pub points: String,
    /// Colour class `s0` … `s5`.
    pub class: String,
    pub last: String,
    pub legend_y: usize,
}

pub struct LineChart {
    pub width: usize,
    pub height: usize,
    /// The months' labels: their baseline, right under the plot and above
    /// the legend, and (x, text) of each.
    pub x_label_y: usize,
    pub x_labels: Vec<(usize, String)>,
    pub y_ticks: Vec<(usize, String)>,
    pub series: Vec<Series>,
}

const LEFT: usize = 40;
const TOP: usize = 10;
const PLOT_W: usize = 300;
const PLOT_H: usize = 140;
const LEGEND_STEP: usize = 18;
/// Half the width of a month's label (`2026-12` at 13 px), centred on its
/// point: the last one, at the plot's right edge, must fit in the chart.
const HALF_LABEL: usize = 26;

/// Percentages (0–100) over `months`, one line per series, with the legend
/// below: the chart stays as narrow as a phone, whose labels then keep their size.
pub fn lines(months: &[String], series: &[(String, Vec<f64>)]) -> LineChart {
    let step = PLOT_W / months.len().saturating_sub(1).max(1);
    let y_of = |pct: f64| TOP + PLOT_H - (pct.clamp(0.0, 100.0) * PLOT_H as f64 / 100.0).round() as usize;
    LineChart {
        width: LEFT + PLOT_W + HALF_LABEL,
        height: TOP + PLOT_H + 36 + series.len() * LEGEND_STEP,
        x_label_y: TOP + PLOT_H + 20,
        x_labels: months
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 == months.len().saturating_sub(1) % 3)
            .map(|(i, m)| (LEFT + i * step, m.clone()))
            .collect(),
        y_ticks: [0.0, 50.0, 100.0]
            .iter()
            .map(|p| (y_of(*p), format!("{p}%")))
            .collect(),
        series: series
            .iter()
            .enumerate()
            .map(|(n, (name, values))| Series {
                name: name.clone(),
                points: values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| format!("{},{}", LEFT + i * step, y_of(*v)))
                    .collect::<Vec<_>>()
                    .join(" "),
                class: format!("s{}", n % 6),
                last: values.last().map(|v| format!("{v:.0}%")).unwrap_or_default(),
                legend_y: TOP + PLOT_H + 44 + n * LEGEND_STEP,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_total_or_the_largest() {
        let items = vec![("甲".to_string(), 2), ("乙".to_string(), 4)];
        let c = bars(&items, 8);
        assert_eq!(c.bars.iter().map(|b| b.width).collect::<Vec<_>>(), [45, 90]);
        let c = bars(&items, 0);
        assert_eq!(c.bars[1].width, BAR_MAX);
        assert_eq!(c.height, 8 + 2 * BAR_STEP);
        assert_eq!(bars(&[("空".into(), 0)], 0).bars[0].width, 0);
    }

    #[test]
    fn lines_put_zero_at_the_bottom_and_full_at_the_top() {
        let months: Vec<String> = (1..=3).map(|m| format!("2026-{m:02}")).collect();
        let c = lines(&months, &[("济南".into(), vec![0.0, 50.0, 100.0])]);
        assert_eq!(
            c.series[0].points,
            format!("40,{} 190,{} 340,{}", TOP + PLOT_H, TOP + 70, TOP)
        );
        assert_eq!(c.series[0].last, "100%");
        // The months' labels sit between the plot and the legend, and the
        // last one (at the plot's right edge) inside the chart.
        let c = lines(
            &months,
            &[("济南".into(), vec![0.0; 3]), ("青岛".into(), vec![0.0; 3])],
        );
        assert!(c.x_label_y > TOP + PLOT_H + 13, "below the plot");
        for s in &c.series {
            assert!(
                s.legend_y - 13 > c.x_label_y,
                "legend row {} over the months",
                s.legend_y
            );
            assert!(s.legend_y <= c.height);
        }
        assert!(c.x_labels.iter().all(|(x, _)| x + HALF_LABEL <= c.width));
        assert_eq!(
            c.x_labels.last().unwrap().1,
            "2026-03",
            "the current month is labelled"
        );
    }
}
