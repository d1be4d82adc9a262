//! What the panes share: the framed block, status marks, bar and window helpers.

use super::*;

pub(super) fn block<'a>(title: &'a str, focused: bool, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .title(Span::styled(
            format!(" {title} "),
            if focused { theme.title() } else { theme.text() },
        ))
        .border_style(theme.border(focused))
}

/// The mark and colour of a goal's status (the mark stands alone without colour).
pub fn goal_style(status: GoalState, theme: &Theme) -> (&'static str, Style) {
    match status {
        GoalState::OnTrack => ("✓", theme.fg(theme.good)),
        GoalState::AtRisk => ("!", theme.fg(theme.warn)),
        GoalState::OffTrack => ("✗", theme.fg(theme.bad)),
        GoalState::NoData => ("·", theme.dim()),
    }
}

/// Values as a row of block characters (gaps over the last periods).
pub(super) fn blocks(values: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let known: Vec<f64> = values.iter().flatten().copied().collect();
    let (lo, hi) = known
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(v) if hi > lo => BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize],
            Some(_) => BARS[3],
        })
        .collect()
}

/// Rows shown from `selected` so that it stays visible.
/// The style of row `i` of a list: the selection's when the pane has the focus.
pub(super) fn row_style(
    i: usize,
    selected: usize,
    focused: bool,
    theme: &Theme,
    text: Style,
) -> Style {
    if focused && i == selected {
        theme.selected()
    } else {
        text
    }
}

/// `s` cut to `width` characters, its last one `…` when it is longer.
pub(crate) fn ellipsis(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

pub(super) fn window(selected: usize, visible: usize) -> usize {
    selected.saturating_sub(visible.saturating_sub(1))
}

/// The last `width` values as sparkline heights over their own range.
pub(super) fn spark_data(values: &[Option<f64>], width: usize) -> Vec<Option<u64>> {
    scaled(&values[values.len().saturating_sub(width)..])
}

/// The lowest and highest finite values, if there is one.
pub(super) fn span(values: &[Option<f64>]) -> Option<(f64, f64)> {
    let known = values.iter().flatten().copied().filter(|x| x.is_finite());
    known.fold(None, |acc, x| match acc {
        None => Some((x, x)),
        Some((lo, hi)) => Some((lo.min(x), hi.max(x))),
    })
}

/// Values as sparkline heights over their own range (the lowest the
/// smallest bar, the highest the full one): a five-point drop in a rate near
/// 90 % shows, instead of a row of full bars.
pub(super) fn scaled(values: &[Option<f64>]) -> Vec<Option<u64>> {
    let (lo, hi) = span(values).unwrap_or((0.0, 0.0));
    values
        .iter()
        .map(|v| {
            v.filter(|x| x.is_finite()).map(|x| {
                if hi > lo {
                    (13.0 + (x - lo) / (hi - lo) * 87.0).round() as u64
                } else {
                    50
                }
            })
        })
        .collect()
}

/// Short labels for the narrow customers pane.
pub(super) fn short(name: &str) -> &str {
    match name {
        "Customers at start" => "At start",
        "Customers at end" => "At end",
        "Avg purchase value" => "Avg order",
        "Revenue per buyer" => "Per buyer",
        "Lifetime value" => "LTV",
        "Purchase frequency" => "Frequency",
        "Repeat purchase rate" => "Repeat rate",
        "Lost per new" => "Lost/new",
        "Expected active" => "Active ≈",
        other => other,
    }
}

pub(super) fn share_bar(width: usize, parts: &[(u64, Style)], theme: &Theme) -> Line<'static> {
    let total: u64 = parts.iter().map(|p| p.0).sum();
    if total == 0 || width == 0 {
        return Line::from(Span::styled("no responses", theme.dim()));
    }
    let mut spans = Vec::new();
    let mut used = 0;
    for (i, (n, style)) in parts.iter().enumerate() {
        let w = if i == parts.len() - 1 {
            width - used
        } else {
            (*n as usize * width) / total as usize
        };
        used += w;
        let symbol = if theme.color {
            "█"
        } else {
            ["█", "▒", "░"][i % 3]
        };
        spans.push(Span::styled(symbol.repeat(w), *style));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::{ellipsis, scaled};

    #[test]
    fn long_ids_end_in_an_ellipsis() {
        assert_eq!(ellipsis("C00042", 8), "C00042");
        assert_eq!(ellipsis("someone.long@example.com", 12), "someone.lon…");
    }

    #[test]
    fn sparklines_use_their_own_range() {
        // 88–93 %: the lowest is the smallest bar, the highest the full one.
        assert_eq!(
            scaled(&[Some(93.0), Some(88.0), None, Some(90.5)]),
            vec![Some(100), Some(13), None, Some(57)]
        );
        assert_eq!(scaled(&[Some(5.0), Some(5.0)]), vec![Some(50), Some(50)]);
        assert_eq!(scaled(&[None, Some(f64::NAN)]), vec![None, None]);
    }
}
